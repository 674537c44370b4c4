"""Known community names of Guangzhou, and a listing title's leading community name.

Beike (贝壳) detail pages as the shipped data has them carry no community, but agents often
begin the title with it (``时尚明苑 实用2房 厅直出阳台``). :func:`community_from_title` reads the
community back only where the title **starts with a name already known in the same city and
district**: the names that Lianjia's list pages (2021–22 listings, 2016–17 deals) and its 2017
community pages named. Lianjia and Beike share one community register, so a known name is the
name the Beike page would have shown. Nothing is guessed: no fuzzy match, no name that is not
known in that district, and not the names that do not tell a community (below).

The rule (measured on the 2021–22 Lianjia listings, which state both title and community:
95% of the names it reads there equal the listing's community; see ``DATA_CARD.md``):

- the **longest** known name that the title (NFKC-folded, leading spaces dropped) starts with,
  at least 3 characters long (2-character names read from titles were right only 73% of the
  time on Lianjia, as ``新市`` the area or ``金沙`` of ``金沙洲``);
- not a road or street name (ends in 路/大道/街/马路/巷/道, maybe with 东/南/西/北/中 and a
  numeral: ``机场路 海德花园``, ``江南大道中``): Lianjia names old estates after their road, but a
  title starting with a road names where the home is, not which estate (right 59%);
- not also a business circle's name in that district (``同和``): an area, not an estate;
- not followed by 旁/边/附近/对面 (``金花苑旁``: next to it, not in it).

The business circle comes with the community from the same register (:class:`KnownCommunities`):
the one the latest source gives it (a community moved between circles by Lianjia keeps its
newest), its most named there, none on a tie.

The derivation of the shipped data (:mod:`valuation.market_data.derive`) and the crawlers'
validation pipeline both fill a listing without a community through :func:`fill_from_title`,
with the table shipped beside this file (``communities.csv``, written by the derivation).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd

COMMUNITIES_CSV = "communities.csv"
MIN_NAME_CHARS = 3
MAX_NAME_CHARS = 40
_ROAD = re.compile(r"(?:路|大道|街|马路|巷|道)[东南西北中]?[一二三四五六七八九十]?$")
_NOT_IN_IT = ("旁", "边", "附近", "对面")


@dataclass(frozen=True)
class KnownCommunities:
    """Community names known per (city, district), each with its business circle (or None)."""

    names: Mapping[tuple[str, str], Mapping[str, str | None]]
    bizcircles: Mapping[tuple[str, str], frozenset[str]]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> KnownCommunities:
        """Rows of city, district, community, bizcircle (the first row of a name wins)."""
        names: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
        circles: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in rows:
            key = (r["city"], r["district"])
            circle = r.get("bizcircle")
            circle = circle if isinstance(circle, str) and circle else None
            names[key].setdefault(r["community"], circle)
            if circle:
                circles[key].add(circle)
        return cls(
            names={k: dict(v) for k, v in names.items()},
            bizcircles={k: frozenset(v) for k, v in circles.items()},
        )

    @classmethod
    def from_sources(cls, sources: Iterable[pd.DataFrame]) -> KnownCommunities:
        """From listing frames (city, district, community, bizcircle), the **latest first**.

        A community's business circle is its most named one in the first frame that names the
        community (none on a tie there)."""
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        for frame in sources:
            f = frame.dropna(subset=["city", "district", "community"])
            counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
            for city, district, community, circle in zip(
                f["city"], f["district"], f["community"], f["bizcircle"], strict=True
            ):
                named = counts[(city, district, community)]  # created even without a circle
                if isinstance(circle, str) and circle:
                    named[circle] += 1
            for key in sorted(counts):
                if key in seen:
                    continue
                seen.add(key)
                top = counts[key].most_common(2)
                circle = top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None
                rows.append(
                    {"city": key[0], "district": key[1], "community": key[2], "bizcircle": circle}
                )
        return cls.from_rows(rows)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"city": city, "district": district, "community": name, "bizcircle": circle}
            for (city, district), names in sorted(self.names.items())
            for name, circle in sorted(names.items())
        ]
        return pd.DataFrame(rows, columns=["city", "district", "community", "bizcircle"])


def community_from_title(
    title: Any, city: Any, district: Any, known: KnownCommunities
) -> tuple[str, str | None] | None:
    """The known community a listing title starts with, and its business circle (see module)."""
    if not isinstance(title, str) or not isinstance(city, str) or not isinstance(district, str):
        return None
    names = known.names.get((city, district))
    if not names:
        return None
    text = unicodedata.normalize("NFKC", title).lstrip()
    for n in range(min(len(text), MAX_NAME_CHARS), MIN_NAME_CHARS - 1, -1):
        name = text[:n]
        if name not in names:
            continue
        if _ROAD.search(name) or name in known.bizcircles.get((city, district), ()):
            return None
        if text[n:].startswith(_NOT_IN_IT):
            return None
        return name, names[name]
    return None


def fill_from_title(listing: dict[str, Any], known: KnownCommunities) -> bool:
    """Fill a clean listing's empty community (and empty business circle) from its title.

    Returns whether it filled one. A listing that states a community keeps it."""
    if listing.get("community") not in (None, ""):
        return False
    found = community_from_title(
        listing.get("title"), listing.get("city"), listing.get("district"), known
    )
    if found is None:
        return False
    listing["community"] = found[0]
    if listing.get("bizcircle") in (None, "") and found[1] is not None:
        listing["bizcircle"] = found[1]
    return True


@cache
def shipped_communities() -> KnownCommunities:
    """The known communities shipped beside this module (``communities.csv``)."""
    path = files(__package__) / COMMUNITIES_CSV
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return KnownCommunities.from_rows(
        {**r, "bizcircle": r["bizcircle"] or None} for r in frame.to_dict("records")
    )
