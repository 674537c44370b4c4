"""A small price model trained once per session on a seeded slice of the shipped data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from valuation.market_data import load_default_listings
from valuation.train import TrainedModel, train_price_model

SLICE_ROWS = 6000
QUICK_PARAMS = {"max_iter": 60, "learning_rate": 0.2}
TRAINED_AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def small_listings():
    return load_default_listings(limit=SLICE_ROWS, random_state=1)


def train_small(frame, now: datetime = TRAINED_AT) -> TrainedModel:
    """A quick model (few trees) on ``frame``, trained at ``now``.

    One OpenMP thread: on a machine shared by parallel test runs, threads that spin-wait for
    each other cost far more than they save on a few thousand rows.
    """
    with threadpool_limits(limits=1):
        return train_price_model(frame, now=now, params=QUICK_PARAMS, source="test slice")


@pytest.fixture(scope="session")
def small_model(small_listings) -> TrainedModel:
    return train_small(small_listings)


@pytest.fixture(scope="session")
def quick_train():
    return train_small


@pytest.fixture(scope="session")
def quick_params() -> dict:
    """The quick model's settings (few trees), for tests that train through other doors."""
    return dict(QUICK_PARAMS)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"
