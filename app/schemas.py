"""Every request and response body of the app: the JSON API's bodies, the views the pages
render, the query objects of search. Never ORM objects, never ID numbers or token hashes. Money
is yuan as a JSON number with at most 2 decimals, stored exactly as fen; times are ISO 8601
with a time zone."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from auction.engine import LotData, RelistTerms
from auction.store import DEPOSIT_STATUSES, LOT_STATUSES, Court
from fapai.errors import RuleViolation
from fapai.law import NOTICE_FIELDS, PROPERTY_TYPES, REFERENCE_METHODS
from fapai.money import to_fen
from valuation.schema import METRO_DISTANCE_M_RANGE
from valuation.schema import PROPERTY_TYPES as LISTING_PROPERTY_TYPES

__all__ = [
    "BidCreate",
    "BidReceipt",
    "BidView",
    "BidderCreate",
    "BidderCreated",
    "ConfirmationView",
    "CreditorCreate",
    "EventView",
    "LotCreate",
    "LotSearch",
    "LotSummary",
    "LotView",
    "Page",
    "PaymentCreate",
    "PaymentView",
    "PriorityHolderCreate",
    "PriorityHolderView",
    "RegistrationView",
    "RelistRequest",
    "RenegeRequest",
    "ResumeRequest",
    "ResultSearch",
    "ResultView",
    "SuspendRequest",
    "WithdrawRequest",
]

# JSON numbers with at most 2 decimals. A Decimal of 2 places converts to the float whose
# shortest repr is that same decimal text (for any amount below 10^13 yuan), so nothing is lost.
Yuan = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
RoundLabel = int | Literal["sale"]
T = TypeVar("T")

SORT_KEYS = (
    "live",
    "ends_at",
    "-ends_at",
    "price",
    "-price",
    "bids",
    "newest",
    "market_ratio",
    "-market_ratio",
)
OUTCOMES = ("sold", "failed", "reneged", "suspended", "stopped", "withdrawn")

MAX_INT_ID = 2**31 - 1
MAX_YUAN = Decimal("100000000000")  # ¥100 bn: far above any lot, far below a BIGINT of fen


# --- views (responses of the API, context of the pages) ---------------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


Ratio = Yuan  # a Decimal shown as a JSON number


class MarketEstimateView(BaseModel):
    """fapai's own market estimate of a lot: an independent estimate from the price model,
    never the legal reference price (参考价规定 第十三条). ``status``: ``priced`` (the figures),
    ``refused`` (``reason`` says why fapai cannot price it honestly) or ``pending`` (not yet
    computed)."""

    status: Literal["priced", "refused", "pending"]
    label: str
    note: str
    estimate: Yuan | None = None
    interval: dict[str, tuple[Yuan, Yuan]] | None = Field(
        None, description='{"80": [low, high], "90": [low, high]}: the prediction intervals'
    )
    market_ratio: Ratio | None = Field(None, description="起拍价 ÷ 市场估价 (the current start)")
    expected_final_price: Yuan | None = Field(
        None, description="The outcome model's expected final price at the start, given a sale"
    )
    reason: str | None = None
    refused: str | None = Field(None, description="field:code where fapai cannot price the lot")
    as_of: date | None = None
    computed_at: datetime | None = None
    model_version: str | None = None
    outcome_model_version: str | None = None


class LotSummary(BaseModel):
    id: int
    title: str
    property_type: str
    city: str
    district: str | None
    status: str
    round: RoundLabel
    reference_price: Yuan
    start_price: Yuan
    current_price: Yuan
    deposit: Yuan
    increment: Yuan
    bid_count: int
    starts_at: datetime
    ends_at: datetime
    case_number: str
    court: str
    # fapai's independent market estimate (not the reference price) and 起拍价 ÷ 市场估价.
    market_estimate: Yuan | None = None
    market_ratio: Ratio | None = None


class LotView(LotSummary):
    address: str | None
    area_m2: float | None
    description: str | None
    reference_method: str
    reference_valid_until: datetime | None = None
    published_at: datetime
    leading_bidder_code: str | None
    registration_count: int
    # 拍卖规定 第十三条、第十四条、第三十条: the notice's contents (law.NOTICE_FIELDS).
    defects: str | None = None
    occupancy: str | None = None
    encumbrances: str | None = None
    taxes_borne_by: str | None = None
    viewing: str | None = None
    purchase_restrictions: str | None = None
    special_conditions: str | None = None
    # 第二十五条: the balance deadline of a sold lot; 第二十八条: why it was halted or withdrawn.
    balance_due_at: datetime | None = None
    halt_reason: str | None = None
    halt_article: str | None = None
    # The audit trail's head (auction.audit): anyone can check the public events against it.
    event_count: int = 0
    chain_head: str | None = None
    # fapai's independent market estimate in full (app.market), never the reference price.
    market: MarketEstimateView | None = None


class EventView(BaseModel):
    """One entry of a lot's public audit trail: bidders by bidder code only (第十八条)."""

    seq: int
    at: datetime
    kind: str
    label: str
    actor_role: str
    article: str | None
    detail: dict[str, object]
    prev_hash: str
    hash: str


class PaymentView(BaseModel):
    """A sold lot's balance (第二十五条): price, deposit applied, paid so far, still owed."""

    lot_id: int
    status: str
    final_price: Yuan
    deposit_applied: Yuan
    balance_paid: Yuan
    outstanding: Yuan
    balance_due_at: datetime
    paid_at: datetime | None


class ConfirmationView(BaseModel):
    """成交确认书 (拍卖规定 第二十二条): generated when a round sells, published with the buyer's
    real name; the ID number and phone stay masked."""

    number: str
    lot_id: int
    title: str
    case_number: str
    court: str
    round: RoundLabel
    final_price: Yuan
    bidder_code: str
    buyer_name: str
    buyer_id_number: str | None
    buyer_phone: str | None
    closed_at: datetime
    balance_due_at: datetime | None
    paid_at: datetime | None
    status: str
    article: str


class BidView(BaseModel):
    id: int
    bidder_code: str
    amount: Yuan
    placed_at: datetime
    round: RoundLabel


class BidReceipt(BidView):
    """An accepted bid and the lot's state right after it."""

    lot_id: int
    current_price: Yuan
    ends_at: datetime


class ResultView(BaseModel):
    lot_id: int
    title: str
    city: str
    district: str | None
    property_type: str
    round: RoundLabel
    outcome: str
    final_price: Yuan | None
    start_price: Yuan
    reference_price: Yuan
    bid_count: int
    winner_code: str | None
    closed_at: datetime


@dataclass(frozen=True)
class LotQuery:
    """Search filters; prices in yuan (on the current price: the leading bid or the start)."""

    status: str | None = None
    city: str | None = None
    district: str | None = None
    property_type: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    q: str | None = None
    court: str | None = None  # a court's code
    # 起拍价 ÷ fapai's market estimate: lots without an estimate never match these.
    min_market_ratio: Decimal | None = None
    max_market_ratio: Decimal | None = None
    sort: str = "ends_at"
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class ResultQuery:
    city: str | None = None
    property_type: str | None = None
    outcome: str | None = None
    page: int = 1
    page_size: int = 20


def _printable(text: str) -> str:
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValueError("must not contain control characters")
    return text


def _plausible_time(when: datetime) -> datetime:
    if not 2000 <= when.year <= 2100:
        raise ValueError("must be a time between the years 2000 and 2100")
    return when


def text(max_length: int, min_length: int = 1) -> type[str]:
    """A stripped, printable string of bounded length."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_printable),
    ]


def _plain_amount(value: object) -> object:
    """An amount given as text is read after NFKC normalisation, so full-width digits and
    point (``１２３４．５``, what a Chinese input method types) mean ``1234.5``, as on the pages;
    any other script's digits, exponents or words are refused."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if not re.fullmatch(r"[+-]?\d+(\.\d*)?", text, re.ASCII):
        raise ValueError("须为阿拉伯数字金额（可含小数点）")
    return text


MarketRatio = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]
Money = Annotated[
    Decimal, BeforeValidator(_plain_amount), Field(gt=0, le=MAX_YUAN, decimal_places=2)
]
Time = Annotated[AwareDatetime, AfterValidator(_plausible_time)]
Id = Annotated[int, Field(ge=1, le=MAX_INT_ID)]
PropertyType = Literal[PROPERTY_TYPES]  # type: ignore[valid-type]
ReferenceMethod = Literal[REFERENCE_METHODS]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LotCreate(_Body):
    """A lot for its first auction. Give ``inquiry_id`` (the reference price and method come from
    the price inquiry) or ``reference_price`` and ``reference_method``."""

    case_number: text(60) = Field(examples=["(2024)粤0106执1234号"])
    court: text(100) | None = Field(
        None,
        examples=["广州市天河区人民法院"],
        description="Your own court (its name or code); the lot is always published by it.",
    )
    title: text(200)
    property_type: PropertyType
    city: text(20) = Field(examples=["广州市"])
    district: text(30) | None = None
    address: text(300) | None = None
    area_m2: float | None = Field(None, gt=0, le=10_000_000, allow_inf_nan=False)
    description: text(10_000, 0) | None = None
    reference_price: Money | None = None
    reference_method: ReferenceMethod | None = None
    inquiry_id: Id | None = None
    start_price: Money
    deposit: Money
    increment: Money
    starts_at: Time
    ends_at: Time
    # 拍卖规定 第十三条、第十四条、第三十条; for real estate occupancy, taxes and defects are
    # required (the engine refuses with 422 naming the missing one).
    defects: text(5_000, 0) | None = None
    occupancy: text(5_000, 0) | None = None
    encumbrances: text(5_000, 0) | None = None
    taxes_borne_by: text(2_000, 0) | None = None
    viewing: text(2_000, 0) | None = None
    purchase_restrictions: text(2_000, 0) | None = None
    special_conditions: text(5_000, 0) | None = None

    def to_data(self, created_by: int, court: Court) -> LotData:
        """The lot's data, published by ``court`` (the user's): naming another is refused."""
        if self.court is not None and self.court not in (court.name, court.code):
            raise RuleViolation("court", f"只能以本院（{court.name}）名义发布拍卖")
        return LotData(
            case_number=self.case_number,
            court=court.name,
            court_id=court.id,
            title=self.title,
            property_type=self.property_type,
            city=self.city,
            district=self.district,
            address=self.address,
            area_m2=self.area_m2,
            description=self.description,
            reference_price=None if self.reference_price is None else to_fen(self.reference_price),
            reference_method=self.reference_method,
            inquiry_id=self.inquiry_id,
            start_price=to_fen(self.start_price),
            deposit=to_fen(self.deposit),
            increment=to_fen(self.increment),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            created_by=created_by,
            **{name: getattr(self, name) for name in NOTICE_FIELDS},
        )


class RelistRequest(_Body):
    """The next round's terms. ``ends_at`` may be left out for a fixed-price sale (变卖)."""

    start_price: Money
    deposit: Money
    increment: Money | None = None
    starts_at: Time
    ends_at: Time | None = None

    def to_terms(self) -> RelistTerms:
        return RelistTerms(
            start_price=to_fen(self.start_price),
            deposit=to_fen(self.deposit),
            increment=None if self.increment is None else to_fen(self.increment),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


class RenegeRequest(_Body):
    """拍卖规定 第二十四条: the costs the renege caused (费用损失), paid first from the deposit."""

    costs: Annotated[Decimal, Field(ge=0, le=MAX_YUAN, decimal_places=2)] = Decimal(0)


class CreditorCreate(_Body):
    """拍卖规定 第十七条: the applicant creditor (a bidder account) and what the debtor owes it."""

    bidder_id: Id
    claim: Money


class SuspendRequest(_Body):
    """拍卖规定 第二十八条: 暂缓 (``suspend``) or 中止 (``stop``), with the reason published."""

    mode: Literal["suspend", "stop"] = "suspend"
    reason: text(1_000)
    article: text(60) | None = Field(None, examples=["拍卖规定 第二十八条"])


class ResumeRequest(_Body):
    """The new schedule of a resumed lot (第二十八条: within 5 days; 第二十条: ≥ 24 hours).
    ``ends_at`` may be left out for a 变卖 (the 变卖期 follows ``starts_at``)."""

    starts_at: Time
    ends_at: Time | None = None


class WithdrawRequest(_Body):
    """撤回: why (e.g. the debt was paid) and under which article."""

    reason: text(1_000)
    article: text(60) | None = None


class PaymentCreate(_Body):
    """A balance payment the court received from the buyer (第二十五条)."""

    amount: Money


class PriorityHolderCreate(_Body):
    bidder_id: Id
    rank: int = Field(ge=1, le=1000, description="1 ranks first (拍卖规定 第二十一条)")


class PriorityHolderView(BaseModel):
    lot_id: int
    bidder_id: int
    rank: int


class BidCreate(_Body):
    amount: Money


class RegistrationCreate(_Body):
    """报名. ``accept_conditions``: the bidder has read and accepts the lot's special conditions
    and purchase restrictions (required where the notice states any, 拍卖规定 第十四条)."""

    accept_conditions: bool = False


class RegistrationView(BaseModel):
    """A registration as its bidder sees it. While ``deposit_status`` is ``pending`` there is
    no bidder code: pay the deposit into the court's account quoting ``payment_reference``."""

    id: int
    lot_id: int
    round: RoundLabel
    bidder_code: str | None
    deposit: Yuan
    deposit_status: Literal[DEPOSIT_STATUSES]  # type: ignore[valid-type]
    payment_reference: str | None
    refund_due_by: datetime | None = None


class CourtRegistrationView(RegistrationView):
    """A registration of the court's own lot, with who registered (the court must know)."""

    bidder_id: int
    bidder_name: str
    id_number: str | None = Field(description="In full (decrypted for the court), or the mask")
    phone: str | None
    registered_at: datetime | None
    paid_at: datetime | None
    refunded_at: datetime | None


class CourtView(BaseModel):
    code: str
    name: str


class CourtCreate(_Body):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
    name: text(100)


class MeView(BaseModel):
    id: int
    name: str
    role: str
    court: CourtView | None


class RefundView(BaseModel):
    registration_id: int
    lot_id: int
    case_number: str
    bidder_code: str | None
    payment_reference: str | None
    deposit: Yuan
    refund_due_by: datetime


class StatementResult(BaseModel):
    confirmed: list[str]
    skipped: list[tuple[int, str]]


class BidderCreate(_Body):
    name: text(100)
    id_number: text(18) = Field(description="Mainland resident ID, 18 characters (GB 11643)")
    phone: text(20)


class BidderCreated(BaseModel):
    """The token, shown once. An ID number that already has an account gets the same answer
    with a token that authenticates nothing (the answer never reveals an account exists); see
    your own account with GET /api/me."""

    token: str = Field(description="Shown once; only its hash is stored.")


class LotSearch(BaseModel):
    """Query parameters of GET /api/lots (prices on the current price, in yuan)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[LOT_STATUSES] | None = None  # type: ignore[valid-type]
    city: text(20) | None = None
    district: text(30) | None = None
    property_type: PropertyType | None = None
    min_price: Annotated[Decimal, Field(ge=0, le=MAX_YUAN, decimal_places=2)] | None = None
    max_price: Annotated[Decimal, Field(ge=0, le=MAX_YUAN, decimal_places=2)] | None = None
    q: text(100, 0) | None = None
    court: text(20) | None = Field(None, description="A court's code (GET /api/courts)")
    min_market_ratio: MarketRatio | None = Field(
        None, description="起拍价 ÷ fapai's market estimate at least this (e.g. 0.6)"
    )
    max_market_ratio: MarketRatio | None = Field(
        None, description="起拍价 ÷ fapai's market estimate at most this (e.g. 0.8)"
    )
    sort: Literal[SORT_KEYS] = Field(  # type: ignore[valid-type]
        "ends_at",
        description="market_ratio / -market_ratio: by 起拍价 ÷ fapai's market estimate (lots "
        "without one last)",
    )
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)

    def to_query(self) -> LotQuery:
        return LotQuery(**self.model_dump())


class ResultSearch(BaseModel):
    """Query parameters of GET /api/results."""

    model_config = ConfigDict(extra="forbid")

    city: text(20) | None = None
    property_type: PropertyType | None = None
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)

    def to_query(self) -> ResultQuery:
        return ResultQuery(**self.model_dump())


# --- online inquiry ---------------------------------------------------------------------


class SourceIn(BaseModel):
    """One platform on the SPC's list that the court asked (参考价规定 第十三条)."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=40, description="Inquiry platform, e.g. 京东")
    price: Decimal | None = Field(
        None,
        gt=0,
        max_digits=15,
        decimal_places=2,
        description="Its result, yuan; null when it did not answer within the deadline",
    )
    asked_at: AwareDatetime | None = Field(None, description="When it was asked (default: now)")
    answered_at: AwareDatetime | None = Field(
        None, description="When it answered (default: now, if it did)"
    )


class InquiryIn(BaseModel):
    """A property to price (the market listing schema's field names and units) and the
    external platforms' results. Minimal input: city, district and area; more narrows the
    interval."""

    model_config = ConfigDict(extra="forbid")

    case_number: str | None = Field(
        None,
        max_length=60,
        description="案号 of the enforcement case",
        examples=["（2026）粤0106执123号"],
    )
    property_type: Literal[LISTING_PROPERTY_TYPES] = "residential"  # type: ignore[valid-type]
    city: str = Field(min_length=1, max_length=20, examples=["广州"])
    district: str | None = Field(None, max_length=30, examples=["天河"])
    bizcircle: str | None = Field(None, max_length=60, description="Business circle (商圈)")
    community: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=300)
    as_of: date | None = Field(None, description="Valuation date; default today")
    area_m2: float = Field(gt=0, description="Building area, m²", examples=[89])
    rooms: int | None = Field(None, ge=0, le=30)
    halls: int | None = Field(None, ge=0, le=20)
    bathrooms: int | None = Field(None, ge=0, le=20)
    floor: int | None = None
    floor_level: Literal["低", "中", "高"] | None = None
    total_floors: int | None = Field(None, ge=1, le=150)
    orientation: str | None = Field(None, max_length=40)
    decoration: Literal["精装", "简装", "毛坯", "其他"] | None = None
    building_type: Literal["塔楼", "板塔结合", "板楼"] | None = None
    near_metro: bool | None = None
    metro_station: str | None = Field(
        None, max_length=40, description="The nearest metro station named (最近地铁站)"
    )
    metro_distance_m: int | None = Field(
        None,
        ge=METRO_DISTANCE_M_RANGE[0],
        le=METRO_DISTANCE_M_RANGE[1],
        description="Metres to that station, as stated (距地铁站距离)",
    )
    build_year: int | None = None
    elevator: bool | None = None
    lat: float | None = None
    lon: float | None = None
    sources: list[SourceIn] = Field(default_factory=list, max_length=20)
    confirmed: bool = Field(
        False,
        description="The court checked a platform result flagged as far from every other "
        "source and from fapai's interval, and keeps it",
    )


MAX_APPRAISALS = 10_000  # properties in one POST /api/appraisals
Scalar = str | int | float | bool | None


class AppraisalProperty(BaseModel):
    """One property to appraise: the listing schema's field names and units, each as loose as
    a spreadsheet gives it (a row that breaks a rule is refused, not the whole call)."""

    model_config = ConfigDict(extra="forbid")

    ref: Scalar = Field(None, description="The caller's own id, echoed in the result")
    property_type: Scalar = None
    city: Scalar = None
    district: Scalar = None
    bizcircle: Scalar = None
    community: Scalar = None
    area_m2: Scalar = None
    rooms: Scalar = None
    halls: Scalar = None
    bathrooms: Scalar = None
    floor: Scalar = None
    floor_level: Scalar = None
    total_floors: Scalar = None
    orientation: Scalar = None
    decoration: Scalar = None
    building_type: Scalar = None
    near_metro: Scalar = None
    metro_station: Scalar = None
    metro_distance_m: Scalar = None
    build_year: Scalar = None
    elevator: Scalar = None
    lat: Scalar = None
    lon: Scalar = None


class AppraisalIn(BaseModel):
    """Up to 10,000 properties priced at one valuation date (default today)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(None, description="Valuation date; default today")
    properties: list[AppraisalProperty] = Field(min_length=1, max_length=MAX_APPRAISALS)


class AppraisalResult(BaseModel):
    ref: Scalar = None
    estimate: int | None = Field(None, description="Whole yuan")
    low80: int | None = None
    high80: int | None = None
    low90: int | None = None
    high90: int | None = None
    refused: str | None = Field(None, description="Why no price: a stable field:code")
    message: str | None = Field(None, description="The refusal in Chinese")


class AppraisalOut(BaseModel):
    model_version: str
    as_of: date
    results: list[AppraisalResult]
