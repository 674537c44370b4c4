"""Every page and error path a person meets, as the public, a bidder and a court, is in Chinese:
the walk fails on any English sentence (two or more ASCII words) or code name (snake_case) in
the visible text, the title, or the words a screen reader reads (placeholder, aria-label, alt,
title). Names like PDF, API, ID stay (the allow-list). The JSON API's errors carry a Chinese
``message`` beside their machine codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.testing import as_person
from auction.demo import seed_demo
from auction.store import Lot
from fapai.clock import SystemClock
from fapai.db import make_engine, session_factory
from fapai.settings import Settings

from .chinese import english

READ_ATTRIBUTES = ("placeholder", "aria-label", "alt", "title")


class _Visible(HTMLParser):
    """The text a person sees or hears: no script or style, nor a command quoted in ``<code>``
    (a name, not a sentence); the read attributes added."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def test_the_detector_finds_english_and_spares_names() -> None:
    assert english(["无法询价：no market data for 潮州市"]) == ["no market data for"]
    assert english(["详情：unknown_district"]) == ["unknown_district"]
    assert english(["下载 PDF 报告", "接口 API · 身份证 ID", "fapai 法拍", "89.5 m²"]) == []
    assert english(["¥1,400,000（拍卖规定 第二十条）", "B0001"]) == []


@dataclass
class Walk:
    client: TestClient
    court: str
    bidders: list[str]
    lot_ids: list[int]

    def as_(self, token: str | None) -> TestClient:
        return as_person(self.client, token)


@pytest.fixture(scope="module")
def walk(_sqlite_template, tmp_path_factory) -> Iterator[Walk]:
    """The demo (every lot state) on a SQLite file, served by the app in-process."""
    import shutil

    path = tmp_path_factory.mktemp("walk") / "fapai.db"
    shutil.copyfile(_sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", data_dir=path.parent / "data")
    db = make_engine(settings.database_url)
    summary = seed_demo(session_factory(db), settings, SystemClock().now(), lots=12)
    with session_factory(db)() as session:
        lot_ids = list(session.scalars(select(Lot.id).order_by(Lot.id)))
    db.dispose()
    court = next(u.token for u in summary.users if u.role == "court")
    bidders = [u.token for u in summary.users if u.role == "bidder"]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield Walk(client, court, bidders, lot_ids)


PUBLIC_PAGES = [
    "/",
    "/?q=广州 住宅&status=bidding",
    "/?min_price=abc",  # a refused filter, said in words
    "/results",
    "/results?outcome=nope",
    "/signin",
    "/bidders/new",
    "/no-such-page",
    "/lots/999999",
    "/lots/99999999999",
    "/inquiries/1",
]
COURT_PAGES = ["/lots/new", "/inquiries/new", "/inquiries/999999", "/desk"]
BIDDER_PAGES = ["/me", "/lots/new", "/desk"]


def _check(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if "text/html" not in response.headers.get("content-type", ""):
        return
    found = english(visible_text(response.text))
    assert not found, f"{where} ({response.status_code}) shows English: {found}"


@pytest.mark.parametrize("role", ["public", "bidder", "court"])
def test_every_page_is_in_chinese(walk: Walk, role: str) -> None:
    token = {"public": None, "bidder": walk.bidders[0], "court": walk.court}[role]
    client = walk.as_(token)
    paths = PUBLIC_PAGES + [f"/lots/{i}" for i in walk.lot_ids]
    paths += [f"/lots/{i}/confirmation" for i in walk.lot_ids]
    paths += {"court": COURT_PAGES, "bidder": BIDDER_PAGES, "public": ["/me", "/desk"]}[role]
    paths += [f"/desk/lots/{i}" for i in walk.lot_ids] + ["/desk/lots/999999"]
    for path in paths:
        _check(client.get(path), f"{role} GET {path}")


def test_every_refusal_is_in_chinese(walk: Walk) -> None:
    lot = walk.lot_ids[0]
    client = walk.as_(walk.bidders[1])
    for path, form in [
        (f"/lots/{lot}/bids", {"amount": "1"}),
        (f"/lots/{lot}/bids", {"amount": "1", "confirmed": "1"}),
        (f"/lots/{lot}/bids", {"amount": "abc"}),
        (f"/lots/{lot}/registrations", {}),
        ("/lots", {"title": "x"}),
        ("/signin", {"token": "wrong"}),
    ]:
        _check(client.post(path, data=form), f"bidder POST {path}")
    client = walk.as_(walk.court)
    _check(client.post(f"/lots/{lot}/bids", data={"amount": "1"}), "court POST bid")
    _check(client.post("/lots", data={"title": "x", "start_price": "-1"}), "court POST /lots")
    _check(
        client.post("/lots", data={"title": "房", "reference_price": "100", "start_price": "10"}),
        "court POST /lots low start",
    )
    _check(client.post("/bidders/new", data={"name": "", "id_number": "1"}), "POST /bidders/new")
    # The inquiry refusals: a city without market data, an area out of range, a type the
    # price model does not know, an unknown district.
    for form in [
        {"city": "潮州市", "area_m2": "89"},
        {"city": "广州市", "area_m2": "0.5"},
        {"city": "广州市", "area_m2": "89", "property_type": "commercial"},
        {"city": "广州市", "district": "火星区", "area_m2": "89"},
    ]:
        _check(client.post("/inquiries", data=form), f"court POST /inquiries {form}")
    # A report as issued: its page, with the outcome model's note, is Chinese too.
    made = client.post(
        "/inquiries",
        data={
            "city": "广州市",
            "district": "天河区",
            "area_m2": "89",
            "platform": "京东",
            "platform_price": "3000000",
        },
    )
    assert made.status_code == 303, made.text[-2000:]
    _check(client.get(made.headers["location"]), "court GET the inquiry report")
    _check(client.get("/desk"), "court GET /desk with an inquiry")
    _check(client.put("/results"), "PUT /results (405)")


def test_api_errors_keep_codes_and_speak_chinese(walk: Walk) -> None:
    client = walk.as_(None)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for method, path, kwargs in [
        ("get", "/api/no-such-thing", {}),
        ("get", "/api/lots/999999", {}),
        ("get", "/api/lots?page=0", {}),
        ("post", "/api/lots", {"json": {}}),
        ("delete", "/api/lots", {}),
    ]:
        response = getattr(client, method)(path, **kwargs)
        body = response.json()
        assert response.status_code >= 400 and "error" in body, path
        assert cjk.search(body["message"]), f"{method} {path}: {body}"
    body = client.get("/api/lots?page=0").json()
    assert (body["field"], body["rule"]) == ("page", "greater_than_equal")
