"""Every request and response body of the app: the JSON API's bodies, the views the pages
render, the query objects of search. Never ORM objects, never ID numbers or token hashes. Money
is yuan as a JSON number with at most 2 decimals, stored exactly as fen; times are ISO 8601
with a time zone."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from auction.engine import LotData, RelistTerms
from auction.store import LOT_STATUSES
from fapai.law import PROPERTY_TYPES, REFERENCE_METHODS
from fapai.money import to_fen
from valuation.schema import PROPERTY_TYPES as LISTING_PROPERTY_TYPES

__all__ = [
    "BidCreate",
    "BidReceipt",
    "BidView",
    "BidderCreate",
    "BidderCreated",
    "LotCreate",
    "LotSearch",
    "LotSummary",
    "LotView",
    "Page",
    "PriorityHolderCreate",
    "PriorityHolderView",
    "RegistrationView",
    "RelistRequest",
    "ResultSearch",
    "ResultView",
]

# JSON numbers with at most 2 decimals. A Decimal of 2 places converts to the float whose
# shortest repr is that same decimal text (for any amount below 10^13 yuan), so nothing is lost.
Yuan = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
RoundLabel = int | Literal["sale"]
T = TypeVar("T")

SORT_KEYS = ("live", "ends_at", "-ends_at", "price", "-price", "bids", "newest")
OUTCOMES = ("sold", "failed", "reneged")

MAX_INT_ID = 2**31 - 1
MAX_YUAN = Decimal("100000000000")  # ¥100 bn: far above any lot, far below a BIGINT of fen


# --- views (responses of the API, context of the pages) ---------------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


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


class LotView(LotSummary):
    address: str | None
    area_m2: float | None
    description: str | None
    reference_method: str
    published_at: datetime
    leading_bidder_code: str | None
    registration_count: int


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


Money = Annotated[Decimal, Field(gt=0, le=MAX_YUAN, decimal_places=2)]
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
    court: text(100) = Field(examples=["广州市天河区人民法院"])
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

    def to_data(self, created_by: int) -> LotData:
        return LotData(
            case_number=self.case_number,
            court=self.court,
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


class PriorityHolderCreate(_Body):
    bidder_id: Id
    rank: int = Field(ge=1, le=1000, description="1 ranks first (拍卖规定 第二十一条)")


class PriorityHolderView(BaseModel):
    lot_id: int
    bidder_id: int
    rank: int


class BidCreate(_Body):
    amount: Money


class RegistrationView(BaseModel):
    lot_id: int
    round: RoundLabel
    bidder_code: str
    deposit: Yuan
    deposit_status: str


class BidderCreate(_Body):
    name: text(100)
    id_number: text(18) = Field(description="Mainland resident ID, 18 characters (GB 11643)")
    phone: text(20)


class BidderCreated(BaseModel):
    bidder_id: int
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
    sort: Literal[SORT_KEYS] = "ends_at"  # type: ignore[valid-type]
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
