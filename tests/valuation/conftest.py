"""A small price model trained once per session on a seeded slice of the shipped data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from valuation.market_data import load_default_listings
from valuation.train import TrainedModel, train_price_model

SLICE_ROWS = 6000
QUICK_PARAMS = {"max_iter": 80, "learning_rate": 0.15}
TRAINED_AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def small_listings():
    return load_default_listings(limit=SLICE_ROWS, random_state=1)


def train_small(frame, now: datetime = TRAINED_AT) -> TrainedModel:
    """A quick model (few trees) on ``frame``, trained at ``now``."""
    return train_price_model(frame, now=now, params=QUICK_PARAMS, source="test slice")


@pytest.fixture(scope="session")
def small_model(small_listings) -> TrainedModel:
    return train_small(small_listings)


@pytest.fixture(scope="session")
def quick_train():
    return train_small


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"
