"""``fapai demo``: a realistic auction room, seeded from real sold Guangdong lots.

Each demo lot is a real lot of ``demo_data/lots.csv`` (place, area, appraisal, start and final
price; see its DATA_CARD.md) given a fate: announced, bidding (some ending within the hour),
sold, failed, in a second round at a ≤ 20% cut, in a fixed-price sale (变卖), or reneged. The
fates are planned as dated steps (:func:`plan_lot`, pure), then every step is played through
``auction.engine`` in time order with that step's time as ``now``: every stored state is one the
engine itself produced. Sold lots end at their real final price, so final/start ratios are the
archive's; bidder names and the bids inside a round are generated (seeded).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from auction import auth, engine
from auction.demo_data import LOTS_CSV
from auction.payments import RecordedPayments
from auction.store import Lot, User, effective_status
from fapai import law
from fapai.clock import SystemClock
from fapai.db import make_engine, migrate, session_factory, session_scope, writer_engine
from fapai.money import ratio_of, to_fen
from fapai.settings import Settings, get_settings
from fapai.terminal import print_whole

DEFAULT_LOTS = 60
SEED = 20261125
DEMO_BIDDERS = 8
MAX_BIDS = 14

SOLD, BIDDING, ENDING_SOON, ANNOUNCED = "sold", "bidding", "ending_soon", "announced"
FAILED, SECOND_ROUND, SALE, RENEGED = "failed", "second_round", "sale", "reneged"
RELISTED = "relisted_after_renege"
AWAITING, SALE_BIDDING, SUSPENDED, WITHDRAWN = (
    "awaiting_payment",
    "sale_bidding",
    "suspended",
    "withdrawn",
)
# The first lots get one fate each, so any demo of len(FATES) lots or more shows every state;
# the rest cycle through a mix that is mostly sold and bidding, like a real platform's front
# page. A SOLD lot's buyer paid the balance two days after the sale (拍卖规定 第二十五条).
FATES = (
    SOLD,
    BIDDING,
    ENDING_SOON,
    ANNOUNCED,
    FAILED,
    SECOND_ROUND,
    SALE,
    RENEGED,
    RELISTED,
    AWAITING,
    SALE_BIDDING,
    SUSPENDED,
    WITHDRAWN,
)
PAID_AFTER = timedelta(days=2)
# Demo notices (拍卖规定 第十三条、第十四条、第三十条): real estate must state these.
DEMO_NOTICE = {
    "occupancy": "演示：现状为被执行人自住，不交吉，法院不负责腾空交付。",
    "taxes_borne_by": "演示：过户所涉税费由买卖双方按照法律规定各自承担。",
    "defects": "演示：未发现影响使用的瑕疵；以实物现状为准，竞买人可申请看样。",
    "viewing": "演示：公告期内每周六上午预约看样。",
}
_MIX = (
    SOLD,
    BIDDING,
    SOLD,
    ANNOUNCED,
    SECOND_ROUND,
    SOLD,
    BIDDING,
    FAILED,
    SOLD,
    SALE,
    ENDING_SOON,
    SOLD,
)

# Court codes in case numbers (粤 + city [+ district]); Guangzhou lots go to the district court,
# the others to their city's intermediate court.
_CITY_CODES = {
    "广州市": "01",
    "韶关市": "02",
    "深圳市": "03",
    "珠海市": "04",
    "汕头市": "05",
    "佛山市": "06",
    "江门市": "07",
    "湛江市": "08",
    "茂名市": "09",
    "肇庆市": "12",
    "惠州市": "13",
    "梅州市": "14",
    "汕尾市": "15",
    "河源市": "16",
    "阳江市": "17",
    "清远市": "18",
    "东莞市": "19",
    "中山市": "20",
    "潮州市": "51",
    "揭阳市": "52",
    "云浮市": "53",
}
_GUANGZHOU_COURTS = {
    "荔湾区": "03",
    "越秀区": "04",
    "海珠区": "05",
    "天河区": "06",
    "白云区": "11",
    "黄埔区": "12",
    "番禺区": "13",
    "花都区": "14",
    "南沙区": "15",
    "从化区": "17",
    "增城区": "18",
}
_TYPE_WORDS = {"residential": "住宅", "commercial": "商业用房", "parking": "车位"}


@dataclass(frozen=True)
class DemoRow:
    """One real sold lot of ``lots.csv``; amounts in fen."""

    source_id: str
    city: str
    district: str
    community: str
    address: str
    property_type: str
    area_m2: Decimal
    reference: int
    start: int
    final: int
    registered_bidders: int | None


def load_rows(path: Path = LOTS_CSV) -> list[DemoRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            DemoRow(
                source_id=r["source_id"],
                city=r["city"],
                district=r["district"],
                community=r["community"],
                address=r["address"],
                property_type=r["property_type"],
                area_m2=Decimal(r["area_m2"]),
                reference=to_fen(r["reference_yuan"]),
                start=to_fen(r["start_yuan"]),
                final=to_fen(r["final_yuan"]),
                registered_bidders=int(r["registered_bidders"])
                if r["registered_bidders"]
                else None,
            )
            for r in csv.DictReader(fh)
        ]


def fates_for(n: int) -> list[str]:
    """The fate of each of ``n`` demo lots: every state first, then the mix."""
    return [FATES[i] if i < len(FATES) else _MIX[(i - len(FATES)) % len(_MIX)] for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------------------------

_HUNDRED_YUAN = 100_00


def increment_for(start: int) -> int:
    """A round increment near 0.5% of the start price, in whole hundreds of yuan (≥ ¥100)."""
    steps = ratio_of(start, Decimal("0.005")) // _HUNDRED_YUAN
    return max(1, steps) * _HUNDRED_YUAN


def deposit_for(start: int) -> int:
    """10% of the start price in whole yuan: inside 拍卖规定 第十七条's 5%–20%."""
    return ratio_of(start, Decimal("0.10"), rounding=ROUND_FLOOR) // 100 * 100


def first_round_start(row: DemoRow, settings: Settings) -> int:
    """The start price of the lot's first round.

    A lot sold below 70% of its appraisal was sold in a second round (拍卖规定 第十条); its first
    round started at the real start ÷ (1 − the maximum cut), which the 20% cut (第二十六条)
    brings back down to the real start.
    """
    floor = law.min_start_price(row.reference, settings)
    if row.start >= floor:
        return row.start
    keep = law.reauction_keep_ratio(settings)
    exact = int((Decimal(row.start) / keep).to_integral_value(ROUND_FLOOR))
    whole_yuan = exact // 100 * 100
    return whole_yuan if whole_yuan >= floor else exact


def scaled_final(row: DemoRow, start: int) -> int:
    """The price a round starting at ``start`` reaches with the real lot's final/start ratio."""
    return start * row.final // row.start


def cut_price(start: int, settings: Settings) -> int:
    """A second round's start: the previous start cut by the maximum the law allows
    (拍卖规定 第二十六条), in whole yuan, rounded up so the cut never exceeds it."""
    return -(-law.min_reauction_start_price(start, settings) // 100) * 100


def bid_ladder(
    start: int, final: int, increment: int, rng: random.Random, max_bids: int
) -> list[int]:
    """Bid amounts climbing from ``start`` to ``final``, each at least the previous one plus the
    increment (拍卖规定 第二十条); at most ``max_bids`` bids."""
    steps = (final - start) // increment
    if steps < 1:
        return [final]
    middle = sorted(rng.sample(range(1, steps), min(max_bids - 2, steps - 1)))
    return [start, *(start + m * increment for m in middle), final]


# ---------------------------------------------------------------------------------------------
# The plan: dated rounds and bids for each lot
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedBid:
    at: datetime
    bidder: int  # index into the demo bidders
    amount: int


@dataclass(frozen=True)
class PlannedRound:
    kind: str  # "1", "2" or "sale"
    published_at: datetime
    starts_at: datetime
    ends_at: datetime
    start: int
    deposit: int
    increment: int
    bidders: tuple[int, ...]
    bids: tuple[PlannedBid, ...] = ()
    closes: bool = False  # closed by the engine before ``now``
    reneged_at: datetime | None = None
    paid_at: datetime | None = None  # the balance paid in full (第二十五条)
    suspended_at: datetime | None = None  # 暂缓 (第二十八条)
    withdrawn_at: datetime | None = None  # 撤回


@dataclass(frozen=True)
class LotPlan:
    row: DemoRow
    fate: str
    case_number: str
    court: str
    title: str
    description: str
    rounds: tuple[PlannedRound, ...]


def court_of(row: DemoRow, year: int, rng: random.Random) -> tuple[str, str]:
    """A plausible (case number, court) for the lot's place: ``(2025)粤0106执1234号``."""
    city_code = _CITY_CODES.get(row.city, "01")
    if row.city == "广州市" and row.district in _GUANGZHOU_COURTS:
        code, court = city_code + _GUANGZHOU_COURTS[row.district], f"广州市{row.district}人民法院"
    else:
        code, court = city_code, f"{row.city}中级人民法院"
    return f"({year})粤{code}执{rng.randint(1000, 39999)}号", court


def _bid_times(
    starts_at: datetime, ends_at: datetime, n: int, extension: int, rng: random.Random
) -> list[datetime]:
    """``n`` increasing bid times in a finished round; the last two fall inside the final
    ``extension`` seconds, so the extension (拍卖规定 第二十条) shows in the record."""
    span = (ends_at - starts_at).total_seconds()
    late_from, late_to = span - 0.8 * extension, span - 0.2 * extension
    early = sorted(rng.uniform(0.01 * span, min(0.9 * span, late_from)) for _ in range(n - 2))
    late = sorted(rng.uniform(late_from, late_to) for _ in range(min(n, 2)))
    return [starts_at + timedelta(seconds=round(x)) for x in early + late]


def _bids(
    ladder: Sequence[int], times: Sequence[datetime], bidders: Sequence[int], rng: random.Random
) -> tuple[PlannedBid, ...]:
    """Bids of the ladder at the times, by bidders taking turns (never outbidding themselves)."""
    out: list[PlannedBid] = []
    last: int | None = None
    for amount, at in zip(ladder, times, strict=True):
        who = rng.choice([b for b in bidders if b != last] or list(bidders))
        out.append(PlannedBid(at, who, amount))
        last = who
    return tuple(out)


@dataclass
class _Planner:
    """Builds one lot's rounds backwards from ``now`` (each rule with its article)."""

    row: DemoRow
    settings: Settings
    now: datetime
    rng: random.Random
    bidders: tuple[int, ...] = field(default=())

    def window(self) -> timedelta:
        return timedelta(seconds=self.settings.min_bidding_seconds)  # 拍卖规定 第二十条

    def announce(self, reauction: bool) -> timedelta:
        days = law.announcement_days(self.row.property_type, self.settings, reauction=reauction)
        return timedelta(days=days)  # 拍卖规定 第十二条 / 第二十六条

    def announce_sale(self) -> timedelta:
        days = law.sale_announcement_days(self.row.property_type, self.settings)
        return timedelta(days=days)  # 衔接通知: 7 / 15 days before the 变卖期

    def round(
        self,
        kind: str,
        starts_at: datetime,
        start: int,
        *,
        ends_at: datetime | None = None,
        published_at: datetime | None = None,
        bid: bool = False,
        live_until: datetime | None = None,
        bidders: tuple[int, ...] | None = None,
    ) -> PlannedRound:
        """A round starting at ``starts_at``. With ``bid``, bids climb to the real lot's
        final/start ratio (to its real final price when ``start`` is its real start), stopping
        halfway at ``live_until`` when the round is still running at ``now``."""
        ends_at = ends_at or starts_at + self.window()
        published_at = published_at or starts_at - self.announce(reauction=kind != "1")
        increment = increment_for(start)
        who = bidders if bidders is not None else self.bidders
        bids: tuple[PlannedBid, ...] = ()
        if bid and who:
            ladder = bid_ladder(start, scaled_final(self.row, start), increment, self.rng, MAX_BIDS)
            if live_until is None:
                extension = self.settings.extension_seconds
                times = _bid_times(starts_at, ends_at, len(ladder), extension, self.rng)
            else:  # a live round: the bids so far, spread up to now
                ladder = ladder[: max(1, len(ladder) // 2)]
                span = (live_until - starts_at).total_seconds()
                times = [
                    starts_at + timedelta(seconds=round(s))
                    for s in sorted(self.rng.uniform(60, span - 30) for _ in ladder)
                ]
            bids = _bids(ladder, times, who, self.rng)
        return PlannedRound(
            kind=kind,
            published_at=published_at,
            starts_at=starts_at,
            ends_at=ends_at,
            start=start,
            deposit=deposit_for(start),
            increment=increment,
            bidders=who,
            bids=bids,
            closes=live_until is None and ends_at < self.now,
        )


def plan_lot(
    row: DemoRow,
    fate: str,
    settings: Settings,
    now: datetime,
    rng: random.Random,
    bidder_pool: int = DEMO_BIDDERS,
) -> LotPlan:
    """The dated rounds that bring a real lot to ``fate`` by ``now``."""
    n_bidders = min(bidder_pool, max(2, min(row.registered_bidders or 3, 6)))
    p = _Planner(row, settings, now, rng, tuple(rng.sample(range(bidder_pool), n_bidders)))
    day, hour = timedelta(days=1), timedelta(hours=1)
    first = first_round_start(row, settings)
    second = cut_price(first, settings)
    sold_in_second = first != row.start
    rounds: list[PlannedRound]
    if fate in (SOLD, AWAITING) and not sold_in_second:
        back = day * rng.randint(3, 30) if fate == SOLD else hour * rng.randint(3, 40)
        ends = now - back - hour * rng.randint(0, 8)
        rounds = [p.round("1", ends - p.window(), first, bid=True)]
    elif fate in (SOLD, AWAITING):  # sold in a second round, at the real (cut) start price
        back = day * rng.randint(3, 25) if fate == SOLD else hour * rng.randint(3, 40)
        ends2 = now - back - hour * rng.randint(0, 8)
        starts2 = ends2 - p.window()
        r1 = p.round("1", starts2 - p.announce(True) - day - p.window(), first, bidders=())
        rounds = [r1, p.round("2", starts2, row.start, published_at=r1.ends_at + day, bid=True)]
    elif fate == SUSPENDED:  # 拍卖规定 第二十八条: 暂缓 during bidding
        starts = now - hour * rng.randint(2, 20)
        live = p.round(
            "1",
            starts,
            first,
            ends_at=max(starts + p.window(), now + 2 * hour),
            bid=True,
            live_until=now - hour,
        )
        rounds = [replace(live, suspended_at=now - timedelta(minutes=30))]
    elif fate == WITHDRAWN:  # 撤回: the debt was paid while the lot was announced
        published = now - day * rng.randint(5, 20)
        starts = published + p.announce(False) + day
        rounds = [
            replace(p.round("1", starts, first, published_at=published), withdrawn_at=now - day)
        ]
    elif fate in (BIDDING, ENDING_SOON):
        if fate == BIDDING:
            starts = now - hour * rng.randint(1, 20) - timedelta(minutes=rng.randint(0, 59))
            ends = max(starts + p.window(), now + 2 * hour)
        else:
            ends = now + timedelta(minutes=rng.randint(10, 55))
            starts = min(ends - p.window(), now - hour)
        rounds = [p.round("1", starts, first, ends_at=ends, bid=True, live_until=now)]
    elif fate == ANNOUNCED:  # still announced at ``now``, however short the period is set
        published = now - day * rng.randint(1, 20)
        starts = max(published + p.announce(False) + day * rng.randint(0, 5), now + day)
        rounds = [p.round("1", starts, first, published_at=published)]
    elif fate == FAILED:
        ends = now - day * rng.randint(1, 20)
        rounds = [p.round("1", ends - p.window(), first, bidders=p.bidders[:1])]
    elif fate == SECOND_ROUND:  # 拍卖规定 第二十六条: relisted within 30 days at a ≤ 20% cut
        starts2 = now - hour * rng.randint(1, 20)
        r1 = p.round("1", starts2 - p.announce(True) - day - p.window(), first, bidders=())
        ends2 = max(starts2 + p.window(), now + 2 * hour)
        rounds = [
            r1,
            p.round(
                "2",
                starts2,
                second,
                ends_at=ends2,
                published_at=r1.ends_at + day,
                bid=True,
                live_until=now,
            ),
        ]
    elif fate in (SALE, SALE_BIDDING):  # two failed auctions, then 变卖 at the second's start
        starts3 = now - day * rng.randint(5, 20)
        ends2 = starts3 - p.announce_sale() - day
        r2 = p.round("2", ends2 - p.window(), second, bidders=())
        r1 = p.round("1", r2.published_at - day - p.window(), first, bidders=())
        sale_ends = starts3 + timedelta(days=settings.sale_period_days)
        rounds = [
            r1,
            r2,
            replace(
                p.round(
                    "sale",
                    starts3,
                    second,
                    ends_at=sale_ends,
                    published_at=r2.ends_at + day,
                    bidders=p.bidders[:2] if fate == SALE_BIDDING else (),
                ),
                deposit=second,  # 衔接通知: the whole 变卖 price
                bids=(PlannedBid(now - hour * rng.randint(2, 20), p.bidders[0], second),)
                if fate == SALE_BIDDING
                else (),
            ),
        ]
    elif fate in (RENEGED, RELISTED):  # 拍卖规定 第二十四条: the buyer forfeits the deposit
        ends = now - day * rng.randint(6, 10)
        r1 = p.round("1", ends - p.window(), first, bid=True)
        reneged_at = r1.bids[-1].at + timedelta(seconds=settings.extension_seconds) + day * 3
        rounds = [replace(r1, reneged_at=reneged_at)]
        if fate == RELISTED:  # relisted; the reneging buyer may not register again
            others = tuple(b for b in p.bidders if b != r1.bids[-1].bidder)
            published2 = reneged_at + day
            rounds.append(  # 重新拍卖 in the same round, at the same start price
                p.round(
                    "1",
                    published2 + p.announce(True),
                    first,
                    published_at=published2,
                    bidders=others,
                )
            )
    else:
        raise ValueError(f"unknown demo fate: {fate}")
    last = rounds[-1]
    if fate == SOLD and last.closes:
        paid = _closing_time(last, settings) + PAID_AFTER
        rounds[-1] = replace(last, paid_at=paid if paid < now else None)
    year = rounds[0].published_at.year
    case_number, court = court_of(row, year, rng)
    kind = _TYPE_WORDS.get(row.property_type, "")
    place = f"{row.district}{row.community}" if row.community else row.address
    return LotPlan(
        row=row,
        fate=fate,
        case_number=case_number,
        court=court,
        title=f"{place} {row.area_m2}㎡{kind}",
        description=(
            f"{row.address}，{row.community or '—'}，建筑面积{row.area_m2}㎡，{kind}。"
            f"演示数据：地点、面积与价格取自阿里拍卖·司法成交记录 {row.source_id}；"
            "竞买人与出价过程为生成数据。"
        ),
        rounds=tuple(rounds),
    )


def plan_demo(
    rows: Sequence[DemoRow], n_lots: int, settings: Settings, now: datetime, seed: int = SEED
) -> list[LotPlan]:
    """``n_lots`` lot plans from a seeded sample of the real rows."""
    rng = random.Random(seed)
    chosen = rng.sample(list(rows), min(n_lots, len(rows)))
    return [
        plan_lot(r, f, settings, now, rng)
        for r, f in zip(chosen, fates_for(len(chosen)), strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Playing the plan through the engine
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Step:
    """One engine call at a time: ``create``, ``relist``, ``register``, ``bid``, ``close`` or
    ``renege``. Steps sort by time, then lot, then their order within the lot."""

    at: datetime
    lot: int  # index of the lot plan
    seq: int
    action: str = field(compare=False)
    round: int = field(compare=False, default=0)
    bidder: int = field(compare=False, default=-1)
    amount: int = field(compare=False, default=0)


def _closing_time(rnd: PlannedRound, settings: Settings) -> datetime:
    """A minute after the round's end as the bids extended it (拍卖规定 第二十条)."""
    ends = rnd.ends_at
    for bid in rnd.bids:
        ends = law.extended_end(ends, bid.at, settings)
    return ends + timedelta(minutes=1)


def _registration_times(rnd: PlannedRound) -> list[datetime]:
    """When the round's bidders register and pay the deposit (拍卖规定 第十七条): from an hour
    after publication, a minute apart, always before bidding starts; an announcement period
    set shorter (even 0 days) squeezes them into it, or to publication time itself."""
    notice = rnd.starts_at - rnd.published_at
    n = len(rnd.bidders)
    return [
        rnd.published_at + min(timedelta(hours=1, minutes=k), notice * (k + 1) / (n + 1))
        for k in range(n)
    ]


def steps_of(plan: LotPlan, lot: int, settings: Settings) -> list[Step]:
    """The engine calls that play one lot plan, in order."""
    steps: list[Step] = []

    def add(at: datetime, action: str, i: int, bidder: int = -1, amount: int = 0) -> None:
        steps.append(Step(at, lot, len(steps), action, i, bidder, amount))

    for i, rnd in enumerate(plan.rounds):
        add(rnd.published_at, "relist" if i else "create", i)
        for at, bidder in zip(_registration_times(rnd), rnd.bidders, strict=True):
            add(at, "register", i, bidder)
        for bid in rnd.bids:
            add(bid.at, "bid", i, bid.bidder, bid.amount)
        if rnd.closes:
            add(_closing_time(rnd, settings), "close", i)
        if rnd.reneged_at is not None:
            add(rnd.reneged_at, "renege", i)
        for action, at in (
            ("pay", rnd.paid_at),
            ("suspend", rnd.suspended_at),
            ("withdraw", rnd.withdrawn_at),
        ):
            if at is not None:
                add(at, action, i)
    return steps


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    token: str


@dataclass
class DemoSummary:
    """What ``seed_demo`` did: lots per state (as the API shows them) and the users to sign in
    with."""

    lots: int
    states: dict[str, int]
    cities: dict[str, int]
    users: list[DemoUser]


@dataclass
class _Player:
    """Performs steps through ``auction.engine`` with the step's time as ``now``."""

    plans: Sequence[LotPlan]
    settings: Settings
    courts: dict[str, tuple[int, int]]  # court name → (court id, its clerk's user id)
    bidder_ids: Sequence[int]
    lot_ids: dict[int, int] = field(default_factory=dict)

    def perform(self, session: Session, step: Step) -> None:
        plan, settings, at = self.plans[step.lot], self.settings, step.at
        rnd = plan.rounds[step.round]
        lot_id = self.lot_ids.get(step.lot, 0)
        if step.action == "create":
            row = plan.row
            data = engine.LotData(
                case_number=plan.case_number,
                court=plan.court,
                title=plan.title,
                property_type=row.property_type,
                city=row.city,
                district=row.district,
                address=row.address,
                area_m2=float(row.area_m2),
                description=plan.description,
                reference_price=row.reference,
                reference_method="appraisal",
                start_price=rnd.start,
                deposit=rnd.deposit,
                increment=rnd.increment,
                starts_at=rnd.starts_at,
                ends_at=rnd.ends_at,
                court_id=self.courts[plan.court][0],
                created_by=self.courts[plan.court][1],
                **DEMO_NOTICE,
            )
            self.lot_ids[step.lot] = engine.create_lot(session, data, at, settings).id
        elif step.action == "relist":
            terms = engine.RelistTerms(
                rnd.start, rnd.deposit, rnd.starts_at, rnd.ends_at, rnd.increment
            )
            engine.relist(session, lot_id, terms, at, settings)
        elif step.action == "register":
            # The demo's history was played with deposits recorded as paid (no money moved).
            engine.register_bidder(
                session, lot_id, self.bidder_ids[step.bidder], at, settings, RecordedPayments()
            )
        elif step.action == "bid":
            bidder = self.bidder_ids[step.bidder]
            engine.place_bid(session, lot_id, bidder, step.amount, at, settings)
        elif step.action == "close":
            engine.close_due_rounds(session, at, settings)
        elif step.action == "renege":
            engine.renege(session, lot_id, at, settings)
        elif step.action == "pay":
            balance = engine.balance_outstanding(session, lot_id)
            engine.record_payment(session, lot_id, balance, at, settings)
        elif step.action == "suspend":
            engine.suspend(session, lot_id, "演示：案外人提出执行异议，暂缓拍卖", at, settings)
        elif step.action == "withdraw":
            engine.withdraw(session, lot_id, "演示：被执行人已履行全部债务，撤回拍卖", at, settings)
        else:
            raise ValueError(f"unknown demo step: {step.action}")


def count_lots(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return int(session.scalar(select(func.count()).select_from(Lot)) or 0)


def _court_names(plans: Sequence[LotPlan]) -> list[str]:
    """The demo's courts, the one with the most lots first."""
    return [name for name, _ in Counter(p.court for p in plans).most_common()]


def _demo_courts(
    session: Session, plans: Sequence[LotPlan], now: datetime
) -> list[tuple[User, str]]:
    """A court record and a clerk for every court of the plans (in :func:`_court_names`
    order); the court's code is ``GD`` and the digits of its case numbers (粤0106 → GD0106)."""
    codes = {p.court: "GD" + re.search(r"粤(\d+)执", p.case_number).group(1) for p in plans}
    clerks = []
    for name in _court_names(plans):
        court = auth.ensure_court(session, codes[name], name, now)
        clerks.append(auth.create_user(session, f"{name} 书记员", "court", now, court=court))
    return clerks


def seed_demo(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    lots: int = DEFAULT_LOTS,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Seed ``lots`` demo lots (``len(FATES)`` or more show every state), a court user and demo
    bidders, in one transaction, by playing each lot's plan through the engine. ``progress(done,
    total)`` is called as steps are played."""
    plans = plan_demo(load_rows(), lots, settings, now)
    steps = sorted(s for i, plan in enumerate(plans) for s in steps_of(plan, i, settings))
    first = steps[0].at if steps else now
    with session_scope(session_factory) as session:
        clerks = _demo_courts(session, plans, first)
        court, court_token = clerks[0]
        bidders = [
            auth.create_user(session, f"演示竞买人{n + 1:02d}", "bidder", first)
            for n in range(DEMO_BIDDERS)
        ]
        courts = {
            name: (user.court_id, user.id)
            for name, (user, _) in zip(_court_names(plans), clerks, strict=True)
        }
        player = _Player(plans, settings, courts, [user.id for user, _ in bidders])
        for done, step in enumerate(steps, 1):
            player.perform(session, step)
            if progress is not None:
                progress(done, len(steps))
        engine.close_due_rounds(session, now, settings)
        rows = session.execute(
            select(Lot.status, Lot.starts_at).where(Lot.id.in_(player.lot_ids.values()))
        ).all()
        states = Counter(effective_status(status, starts, now) for status, starts in rows)
    users = [DemoUser(court.name, "court", court_token)]
    users += [DemoUser(user.name, "bidder", token) for user, token in bidders[:2]]
    return DemoSummary(
        lots=len(plans),
        states=dict(sorted(states.items())),
        cities=dict(Counter(p.row.city for p in plans).most_common()),
        users=users,
    )


# ---------------------------------------------------------------------------------------------
# `fapai demo`
# ---------------------------------------------------------------------------------------------


EnsureModel = Callable[[Settings], str]
ROLE_NAMES = {"court": "法院用户", "bidder": "竞买人　"}


def run_demo(if_empty: bool, skip_model: bool, lots: int, ensure_model: EnsureModel) -> None:
    """``fapai demo``: seed (unless ``if_empty`` and there are lots), print what was seeded,
    then, unless ``skip_model``, ``ensure_model(settings)`` and print what it says."""
    console = Console()
    settings = get_settings()
    migrate(settings.database_url)
    factory = session_factory(writer_engine(make_engine(settings.database_url)))
    existing = count_lots(factory)
    if if_empty and existing:
        console.print(f"数据库中已有 {existing} 个拍品：未写入演示数据。")
    else:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("经拍卖引擎演示各拍品的步骤（步）", total=None)
            summary = seed_demo(
                factory,
                settings,
                SystemClock().now(),
                lots=lots,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _print_summary(console, summary)
    if skip_model:
        console.print("价格模型：未要求（--skip-model）。")
        return
    with console.status("正在确认已有价格模型（首次训练约需一分钟）"):
        console.print(f"价格模型：{ensure_model(settings)}。")


def _print_summary(console: Console, summary: DemoSummary) -> None:
    states = Table(title=f"演示拍品 {summary.lots} 个")
    states.add_column("状态（接口代码）")
    states.add_column("拍品数", justify="right")
    for status, n in summary.states.items():
        states.add_row(status, str(n))
    print_whole(console, states)
    console.print("城市：" + "，".join(f"{c} {n}" for c, n in summary.cities.items()))
    console.print(
        "演示用户：在网页“登录”处粘贴令牌，或在接口请求头中写 `Authorization: Bearer <令牌>`"
    )
    for user in summary.users:
        # Whole, on a line of its own, never wrapped or cut: people copy it.
        console.print(f"  {ROLE_NAMES[user.role]} {user.name}", highlight=False)
        console.print(f"          {user.token}", soft_wrap=True, highlight=False, markup=False)
    console.print(
        "[bold]以上是演示令牌[/bold]，只显示这一次，库中只存其哈希：看到它们的人都能以这些用户"
        "的身份操作。切勿把演示数据写入生产数据库。"
    )


def register(app: typer.Typer, ensure_model: EnsureModel) -> None:
    """Add ``fapai demo`` to the root command. ``ensure_model(settings)`` makes sure a price
    model exists and says which: the valuation room's, wired in by the root command (the
    auction room never imports valuation)."""

    @app.command("demo")
    def demo_command(
        if_empty: bool = typer.Option(
            False,
            "--if-empty",
            help="数据库中已有拍品时不写入演示数据（但仍确认已有价格模型）。"
            "`make serve` 每次都运行 `fapai demo --if-empty`。",
        ),
        skip_model: bool = typer.Option(
            False,
            "--skip-model",
            help="不训练也不启用默认价格模型（更快；询价需要模型，可稍后用 `fapai train` 训练）。",
        ),
        lots: int = typer.Option(
            DEFAULT_LOTS,
            "--lots",
            min=len(FATES),
            help=f"写入多少个演示拍品（不少于 {len(FATES)} 个即可覆盖每种状态；"
            "至多为 auction/demo_data/lots.csv 的行数）。",
        ),
    ) -> None:
        """向 FAPAI_DATABASE_URL 写入贴近真实的演示数据：
        广东真实成交的拍品（取自 sf.taobao.com 存档，见 auction/demo_data/DATA_CARD.md），
        覆盖每种状态（预告、竞价中、一小时内结束、已成交、流拍、二拍、变卖、悔拍），
        以及一个演示法院用户和若干演示竞买人，其登录令牌只显示一次。"""
        run_demo(if_empty, skip_model, lots, ensure_model)
