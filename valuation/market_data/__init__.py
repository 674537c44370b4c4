"""The embedded default market data: real public listings and deals (see DATA_CARD.md).

``listings.parquet`` is rebuilt from the public files by ``derive.py``; it holds the listing
schema's columns plus ``bizcircle``.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd


def default_listings_path() -> str:
    return str(files(__package__) / "listings.parquet")


def load_default_listings(limit: int | None = None, random_state: int = 0) -> pd.DataFrame:
    """The shipped listings; ``limit`` takes a seeded random slice (for quick runs and tests)."""
    frame = pd.read_parquet(default_listings_path())
    if limit is not None and limit < len(frame):
        frame = frame.sample(n=limit, random_state=random_state).reset_index(drop=True)
    return frame


def load_community_prices() -> pd.DataFrame:
    """Guangzhou communities' 2017 average asking yuan/m²: district, community, avgpx_2017."""
    return pd.read_csv(
        files(__package__) / "community_prices_2017.csv", dtype={"district": str, "community": str}
    )
