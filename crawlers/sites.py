"""Where the sites live: city codes, real hosts, and rebasing onto a mirror (``--base-url``).

The city codes are one table, ``cities.csv`` beside this file: the Lianjia/Beike subdomain
(``gz``), the gazetteer's city (``广州市``, checked against :mod:`fapai.regions` at import) and
the Anjuke subdomain (``guangzhou``), for the cities the sites serve.

A spider always knows a page by its real address (``https://gz.lianjia.com/ershoufang/``);
with a base URL it fetches the same path from the mirror instead
(``http://127.0.0.1:8123/ershoufang/``), and stores the real address in ``url``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fapai.regions import normalize_city


@dataclass(frozen=True)
class City:
    code: str  # Lianjia/Beike subdomain: gz, sz, bj
    name: str  # gazetteer name: 广州市
    anjuke: str  # Anjuke subdomain: guangzhou


def _load_cities(path: Path) -> dict[str, City]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if normalize_city(r["city"]) != r["city"]:
            raise ValueError(f"{path.name}: {r['city']!r} is not a gazetteer city name")
    return {r["code"]: City(r["code"], r["city"], r["anjuke"]) for r in rows}


CITIES: dict[str, City] = _load_cities(Path(__file__).with_name("cities.csv"))


class UnknownCityError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"未知的城市代码 {code!r}；可用：{'、'.join(sorted(CITIES))}")


def city(code: str) -> City:
    try:
        return CITIES[code]
    except KeyError:
        raise UnknownCityError(code) from None


class BadBaseUrlError(ValueError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"--base-url 应为 http(s) 地址，如 http://127.0.0.1:8123，收到的是 {url!r}"
        )


def check_base_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address with a host (or None); else :class:`BadBaseUrlError`."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadBaseUrlError(url)
    return url


def rebase(url: str, base_url: str | None) -> str:
    """``url`` with its scheme and host replaced by ``base_url``'s (its path is prepended)."""
    if not base_url:
        return url
    base, real = urlsplit(base_url), urlsplit(url)
    path = base.path.rstrip("/") + real.path
    return urlunsplit((base.scheme, base.netloc, path, real.query, ""))
