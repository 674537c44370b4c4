"""Fixtures of the web tests: a stored inquiry report, the usual published lot, the browser
harness."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.testing import uvicorn_server
from auction import engine
from auction.demo import seed_demo
from fapai.clock import FrozenClock, SystemClock
from fapai.db import make_engine, session_factory
from fapai.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page
    from sqlalchemy.orm import Session

    from auction.store import Court, Lot

YUAN = 100


@pytest.fixture
def sample_report() -> dict[str, Any]:
    """An inquiry report as ``valuation.inquiry_store.get_inquiry`` returns it (issued JSON)."""
    curve = [
        {
            "start_ratio": r,
            "start_price": 3_400_000 * r,
            "chance_of_sale": c,
            "expected_final_price": f,
            "expected_recovery": round(c * f, 2),
        }
        for r, c, f in [
            (0.7, 0.95, 3_050_000),
            (0.8, 0.9, 3_200_000),
            (0.9, 0.78, 3_330_000),
            (1.0, 0.6, 3_500_000),
        ]
    ]
    return {
        "id": 7,
        "description": {
            "property_type": "residential",
            "city": "广州市",
            "district": "天河区",
            "community": "华景新城",
            "area_m2": 89.5,
            "rooms": 3,
            "halls": 2,
            "build_year": 2003,
            "address": "中山大道西 1 号",
        },
        "reference_price": 3_400_000,
        "reference_rule": "参考价规定 第十三条",
        "unit_price": 37_989,
        "interval": {"80": [3_100_000, 3_700_000], "90": [2_950_000, 3_880_000]},
        "sources": [
            {"platform": "fapai", "price": 3_400_100.5, "kind": "model"},
            {"platform": "京东", "price": 3_399_899.5, "kind": "platform"},
        ],
        "comparables": [
            {
                "source": "lianjia",
                "listing_id": "a1",
                "url": None,
                "district": "天河区",
                "community": "华景新城",
                "area_m2": 85.0,
                "rooms": 3,
                "build_year": 2002,
                "observed_on": "2022-12-01",
                "unit_price": 39_000,
                "price_total": 3_315_000,
                "adjusted_unit_price": 38_500,
                "adjusted_price_total": 3_445_750,
                "distance": 0.1,
            },
            {
                "source": "lianjia",
                "listing_id": "a2",
                "url": None,
                "district": "天河区",
                "community": "骏景花园",
                "area_m2": 120.0,
                "rooms": 4,
                "build_year": 2000,
                "observed_on": "2022-11-20",
                "unit_price": 35_000,
                "price_total": 4_200_000,
                "adjusted_unit_price": 36_000,
                "adjusted_price_total": 3_222_000,
                "distance": 0.3,
            },
        ],
        "model_version": "price-20261125",
        "outcome_model_version": "outcome-20261125",
        "created_at": "2026-11-25T08:00:00+00:00",
        "valid_until": "2027-11-25T08:00:00+00:00",
        "start_price_floor": 2_380_000,
        "proposed_start_price": 2_720_000,
        "expected_outcome": {
            "chance_of_sale": 0.9,
            "expected_final_price": 3_200_000,
            "expected_recovery": 2_880_000,
        },
        "deposit_range": [136_000, 544_000],
        "outcome": {
            "round": 1,
            "lawful_range": [2_380_000, 3_400_000],
            "proposed": curve[1],
            "chance_source": "prior",
            "fallback": [],
            "history": {},
            "curve": curve,
        },
    }


@pytest.fixture
def publish_lot(clock: FrozenClock) -> Callable[..., Lot]:
    """Publishes the web tests' usual lot through the engine: a 天河区 flat of ``court``
    appraised at ¥1,000,000, starting at ¥700,000 (deposit ¥70,000, steps of ¥5,000), bidding
    for one day from ``starts``; ``case_number`` and ``title`` tell the tests' lots apart."""

    def publish(
        session: Session,
        settings: Settings,
        court: Court,
        starts: datetime,
        *,
        case_number: str,
        title: str,
        created_by: int | None = None,
    ) -> Lot:
        data = engine.LotData(
            case_number=case_number,
            court=court.name,
            court_id=court.id,
            title=title,
            property_type="residential",
            city="广州市",
            district="天河区",
            reference_price=1_000_000 * YUAN,
            reference_method="appraisal",
            occupancy="空置",
            taxes_borne_by="各自承担",
            defects="无",
            start_price=700_000 * YUAN,
            deposit=70_000 * YUAN,
            increment=5_000 * YUAN,
            starts_at=starts,
            ends_at=starts + timedelta(days=1),
            created_by=created_by,
        )
        return engine.create_lot(session, data, clock.now(), settings)

    return publish


# --- the browser harness: a seeded SQLite file, a real uvicorn process, headless Chromium ------

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
# A short clock for the server (the settings' own env names): bidding lasts 20 s (two people
# sign up and register in it, on a machine that may be busy), a bid in the last 6 s extends the
# end to 6 s after it, the closing loop looks every 0.2 s, no announcement.
FAST_RULES = {
    "FAPAI_MIN_BIDDING_SECONDS": "20",
    "FAPAI_EXTENSION_SECONDS": "6",
    "FAPAI_CLOSING_INTERVAL_SECONDS": "0.2",
    "FAPAI_ANNOUNCE_DAYS_MOVABLE": "0",
    "FAPAI_ANNOUNCE_DAYS_IMMOVABLE": "0",
}


@dataclass(frozen=True)
class Site:
    base: str
    court_token: str
    settings: Settings

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def site(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """fapai served by uvicorn on a copy of the migrated template, seeded with the demo's real
    lots (every state) through the engine."""
    folder = tmp_path_factory.mktemp("web-site")
    path = folder / "fapai.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url)
    engine = make_engine(url)
    summary = seed_demo(session_factory(engine), settings, SystemClock().now(), lots=24)
    engine.dispose()
    court = next(u for u in summary.users if u.role == "court")
    with uvicorn_server({"FAPAI_DATABASE_URL": url, **FAST_RULES}, folder / "server.log") as base:
        yield Site(
            base,
            court.token,
            Settings(
                database_url=url,
                **{k.removeprefix("FAPAI_").lower(): v for k, v in FAST_RULES.items()},
            ),
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (each test's pages get fresh contexts)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (as .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts (separate cookies: one per person), closed after."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    """A screenshot for review in tests/artifacts/screenshots/ (the whole page by default)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
