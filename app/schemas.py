"""Request and response bodies of the JSON API. Never ORM objects, never ID numbers or token
hashes. Money is yuan as a JSON number with at most 2 decimals, stored exactly as fen; times
are ISO 8601 with a time zone."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.queries import (
    OUTCOMES,
    SORTS,
    BidReceipt,
    BidView,
    LotQuery,
    LotSummary,
    LotView,
    Page,
    ResultQuery,
    ResultView,
    RoundLabel,
    Yuan,
)
from auction.engine import LotData, RelistTerms
from auction.store import LOT_STATUSES
from fapai.law import PROPERTY_TYPES, REFERENCE_METHODS
from fapai.money import to_fen

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

MAX_INT_ID = 2**31 - 1
MAX_YUAN = Decimal("100000000000")  # ¥100 bn: far above any lot, far below a BIGINT of fen


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
    sort: Literal[tuple(SORTS)] = "ends_at"  # type: ignore[valid-type]
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
