"""Where the sites live: city codes, real hosts, and rebasing onto a mirror (``--base-url``).

A spider always knows a page by its real address (``https://gz.lianjia.com/ershoufang/``);
with a base URL it fetches the same path from the mirror instead
(``http://127.0.0.1:8123/ershoufang/``), and stores the real address in ``url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class City:
    code: str  # Lianjia/Beike subdomain: gz, sz, bj
    name: str  # gazetteer name: 广州市
    anjuke: str  # Anjuke subdomain: guangzhou


CITIES: dict[str, City] = {
    c.code: c
    for c in (
        City("gz", "广州市", "guangzhou"),
        City("sz", "深圳市", "shenzhen"),
        City("fs", "佛山市", "foshan"),
        City("dg", "东莞市", "dongguan"),
        City("zh", "珠海市", "zhuhai"),
        City("hui", "惠州市", "huizhou"),
        City("zs", "中山市", "zs"),
        City("bj", "北京市", "beijing"),
    )
}


class UnknownCityError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown city code {code!r}; known: {', '.join(sorted(CITIES))}")


def city(code: str) -> City:
    try:
        return CITIES[code]
    except KeyError:
        raise UnknownCityError(code) from None


class BadBaseUrlError(ValueError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"--base-url must be an http(s) address like http://127.0.0.1:8123, got {url!r}"
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
