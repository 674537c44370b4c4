"""Reading what people type into the pages' forms and URLs, and saying what went wrong.

Query strings and form fields arrive as text; these functions turn them into the services'
own query objects and amounts, or into a message in words. The rules themselves stay in the
services and the engine: a refusal there comes back as a ``FapaiError`` and :func:`explain`
puts it in Chinese, keeping the engine's detail (and its article).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from app.schemas import (
    BidCreate,
    BidderCreate,
    InquiryIn,
    LotCreate,
    LotQuery,
    LotSearch,
    ResultQuery,
    ResultSearch,
)
from app.web.display import reads_as_chinese, yuan
from fapai.errors import Conflict, FapaiError, Forbidden, NotFound, RuleViolation
from fapai.law import NOTICE_FIELDS
from fapai.money import to_fen
from fapai.regions import districts_of

BodyT = TypeVar("BodyT", bound=BaseModel)

PAGE_SIZE = 24
RESULTS_PAGE_SIZE = 30
PLATFORM_ROWS = 3  # external inquiry platforms the judge's form has room for

SORT_CHOICES: dict[str, str] = {
    "live": "正在拍卖优先",
    "ends_at": "结束时间从早到晚",
    "-ends_at": "结束时间从晚到早",
    "price": "当前价从低到高",
    "-price": "当前价从高到低",
    "bids": "出价次数最多",
    "newest": "最新发布",
    "market_ratio": "起拍价÷市场估价从低到高",
    "-market_ratio": "起拍价÷市场估价从高到低",
}

FIELD_NAMES: dict[str, str] = {
    "min_market_ratio": "起拍价 ÷ 市场估价下限",
    "max_market_ratio": "起拍价 ÷ 市场估价上限",
    "amount": "出价",
    "lot_id": "拍品",
    "deposit": "保证金",
    "id_number": "身份证号码",
    "phone": "手机号码",
    "name": "姓名",
    "token": "访问令牌",
    "min_price": "当前价下限",
    "max_price": "当前价上限",
    "page": "页码",
    "sort": "排序",
    "status": "拍卖状态",
    "outcome": "结果",
    "area_m2": "建筑面积",
    "city": "城市",
    "district": "区县",
    "property_type": "财产类型",
    "rooms": "室",
    "halls": "厅",
    "bathrooms": "卫",
    "floor": "所在楼层",
    "total_floors": "总楼层",
    "build_year": "建成年份",
    "decoration": "装修",
    "elevator": "电梯",
    "building_type": "建筑类型",
    "near_metro": "近地铁",
    "metro_station": "最近地铁站",
    "metro_distance_m": "距地铁站距离（米）",
    "sources": "询价平台",
    "case_number": "案号",
    "court": "法院",
    "title": "标题",
    "address": "地址",
    "description": "标的物介绍",
    "reference_price": "参考价",
    "reference_method": "参考价确定方式",
    "inquiry_id": "询价报告",
    "start_price": "起拍价",
    "increment": "加价幅度",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "reason": "原因",
    "costs": "费用损失",
    "rank": "顺位",
    "kind": "文件类别",
    "file": "文件",
    "email": "电子邮箱",
    **NOTICE_FIELDS,
}

_HEADLINES: dict[type[FapaiError], str] = {
    Conflict: "未能办理",
    Forbidden: "没有权限",
    NotFound: "找不到",
    RuleViolation: "填写有误",
}


class FormError(ValueError):
    """A form or URL value that cannot be read; the message is already in words."""


# The refusals people meet most, said in Chinese; the engine's own words follow as 详情.
_SENTENCES: dict[tuple[type[FapaiError], str], str] = {
    (Conflict, "lot_id"): "本场拍卖现在不能报名或出价（尚未开始或已经结束）",
    (Forbidden, "lot_id"): (
        "没有该标的的竞买资格：须先报名并交纳保证金（拍卖规定 第十七条）；"
        "悔拍的买受人不得再参加该标的的拍卖（第二十四条）"
    ),
    (Conflict, "deposit"): "保证金未能交纳",
    (
        Conflict,
        "amount",
    ): "出价须不低于当前价加一个加价幅度（首次出价不低于起拍价），可能已有他人出价",
    (RuleViolation, "id_number"): "身份证号码无效",
    (RuleViolation, "phone"): "须为以 1 开头的 11 位手机号码",
    (RuleViolation, "name"): "请填写姓名",
}


def explain(exc: FapaiError, next_bid: Decimal | None = None) -> str:
    """A refusal from the core in words: what kind, which field, a Chinese sentence for the
    common cases (a bid below the next valid amount names that amount, 拍卖规定 第二十条),
    then the engine's detail with its article."""
    kind = next((text for cls, text in _HEADLINES.items() if isinstance(exc, cls)), "出错了")
    field = FIELD_NAMES.get(exc.field or "", exc.field or "")
    head = f"{kind}{'（' + field + '）' if field else ''}："
    if exc.field == "amount" and next_bid is not None:
        sentence = f"出价须不低于 {yuan(next_bid)}（当前价加一个加价幅度，拍卖规定 第二十条）"
    else:
        sentence = next(
            (
                text
                for (cls, name), text in _SENTENCES.items()
                if isinstance(exc, cls) and name == exc.field
            ),
            None,
        )
    if not reads_as_chinese(exc.message):
        # A core message not yet in words a person reads: the sentence and the article only.
        article = getattr(exc, "article", None)
        detail = f"（{article}）" if article else ""
        return f"{head}{sentence or _GENERAL.get(type(exc), '请求未能办理')}{detail}。"
    return f"{head}{sentence}。详情：{exc.message}" if sentence else f"{head}{exc.message}"


_GENERAL: dict[type[FapaiError], str] = {
    Conflict: "当前状态不允许此操作",
    Forbidden: "您的账号不能办理此事项",
    NotFound: "要办理的对象不存在",
    RuleViolation: "填写的内容不符合规定",
}


def optional_text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def amount_fen(value: str | None) -> int:
    """A bid typed in yuan (``1,234.5`` allowed) → integer fen, checked by the API's own
    :class:`app.schemas.BidCreate` (positive, at most 2 decimals, bounded)."""
    text = (value or "").replace(",", "").replace("，", "").strip()
    if not text:
        raise FormError("请填写出价金额（元）")
    try:
        return to_fen(BidCreate.model_validate({"amount": text}).amount)
    except ValidationError as exc:
        raise _validation_words(exc, {"amount": text}) from None


def bidder_form(name: str, id_number: str, phone: str) -> BidderCreate:
    """The self-registration form checked by the API's own :class:`app.schemas.BidderCreate`
    (lengths, no control characters) before the account rules run."""
    given = {"name": name, "id_number": id_number, "phone": phone}
    try:
        return BidderCreate.model_validate(given)
    except ValidationError as exc:
        raise _validation_words(exc, given) from None


def search_query(
    schema: type[LotSearch] | type[ResultSearch], params: Mapping[str, str], page_size: int
) -> LotQuery | ResultQuery:
    """A search page's query string → the service's query, checked by the API's own schema
    for the same search; a bad value is an error in words, so a hand-edited URL gets a
    message, never a 500. Empty fields are no filter; unknown ones are ignored."""
    given = {k: v.strip() for k, v in params.items() if k in schema.model_fields and v.strip()}
    given["page_size"] = str(page_size)
    for name in ("min_price", "max_price"):
        if name in given:
            given[name] = given[name].replace(",", "").replace("，", "")
    try:
        return schema.model_validate(given).to_query()
    except ValidationError as exc:
        raise _validation_words(exc, given) from None


def lot_query(params: Mapping[str, str]) -> LotQuery:
    """The lot search (home page): :class:`app.schemas.LotSearch`. Bidders come for
    what they can still bid on, so without a chosen sort open lots come first (``live``)."""
    if not (params.get("sort") or "").strip():
        params = {**params, "sort": "live"}
    return search_query(LotSearch, params, PAGE_SIZE)


def result_query(params: Mapping[str, str]) -> ResultQuery:
    """The results page: :class:`app.schemas.ResultSearch`."""
    return search_query(ResultSearch, params, RESULTS_PAGE_SIZE)


def _validation_words(exc: ValidationError, given: Mapping[str, object]) -> FormError:
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    shown = "".join(c if c.isprintable() else "�" for c in str(given.get(name, ""))[:40])
    if len(str(given.get(name, ""))) > 40:
        shown += "…"
    return FormError(f"{FIELD_NAMES.get(name, name)}填写有误：{shown}（{validation_words(first)}）")


def validation_words(error: Mapping[str, object]) -> str:
    """What a pydantic error (``{"type": …, "ctx": …}``) asks for, in Chinese."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    assert isinstance(ctx, Mapping)
    bounds = {
        "greater_than_equal": ("不小于", "ge"),
        "greater_than": ("大于", "gt"),
        "less_than_equal": ("不大于", "le"),
        "less_than": ("小于", "lt"),
        "string_too_long": ("长度不超过", "max_length"),
        "string_too_short": ("长度不少于", "min_length"),
        "too_long": ("个数不超过", "max_length"),
        "decimal_max_places": ("小数位数不超过", "decimal_places"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"须{words} {ctx.get(key, '')}".rstrip()
    return _VALIDATION_TYPES.get(kind, "格式不正确")


_VALIDATION_TYPES: dict[str, str] = {
    "missing": "必须填写",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "float_parsing": "须为数字",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为是或否",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "string_type": "须为文字",
    "datetime_parsing": "须为日期时间",
    "datetime_from_date_parsing": "须为日期时间",
    "timezone_aware": "须带时区",
    "extra_forbidden": "不是可用的参数",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "value_error": "格式不正确",
}


def inquiry_request(
    form: Mapping[str, str],
    platforms: list[str],
    prices: list[str],
    asked: list[str] | None = None,
    tz: str = "Asia/Shanghai",
) -> InquiryIn:
    """The judge's inquiry form → the API's own :class:`app.schemas.InquiryIn`, so the page and
    ``POST /api/inquiries`` accept the same input. Each platform row names a listed platform
    asked, when (Beijing time; default now) and its result; a row with a name and no result
    records a platform that did not answer. ``confirmed`` keeps a flagged result."""
    given: dict[str, object] = {
        name: text for name in InquiryIn.model_fields if (text := optional_text(form.get(name)))
    }
    given.pop("sources", None)
    given["confirmed"] = form.get("confirmed") in ("1", "true", "on")
    sources = []
    rows = zip(platforms, prices, asked or [""] * len(platforms), strict=False)
    for i, (platform, price, asked_at) in enumerate(rows, start=1):
        platform, price = platform.strip(), price.replace(",", "").replace("，", "").strip()
        if platform:
            sources.append(
                {
                    "platform": platform,
                    "price": price or None,
                    "asked_at": local_time_field(asked_at, tz),
                }
            )
        elif price or asked_at.strip():
            raise FormError(f"第 {i} 个询价平台须填写平台名称")
    try:
        return InquiryIn.model_validate({**given, "sources": sources})
    except ValidationError as exc:
        raise _validation_words(exc, given) from None


@dataclass(frozen=True)
class InquiryPlaces:
    """What the inquiry form offers: the cities the price model has market data for, each
    with its districts and business circles (GB/T 2260 names, in the gazetteer's order)."""

    districts: dict[str, tuple[str, ...]]
    bizcircles: dict[str, tuple[str, ...]]

    @property
    def summary(self) -> str:
        """广州市（11 个区县）、佛山市（南海区）… in words: a few districts by name."""

        def covered(ds: tuple[str, ...]) -> str:
            if not ds:
                return "按商圈"
            return "、".join(ds) if len(ds) <= 3 else f"{len(ds)} 个区县"

        return "；".join(f"{c}（{covered(ds)}）" for c, ds in self.districts.items())


def inquiry_places(coverage: Mapping[str, Mapping[str, Any]]) -> InquiryPlaces:
    """The places a price model's ``coverage`` (city → what its data covered) can price,
    the most listed city first."""
    order = sorted(coverage, key=lambda c: (-int(coverage[c].get("rows") or 0), c))
    districts: dict[str, tuple[str, ...]] = {}
    circles: dict[str, tuple[str, ...]] = {}
    for city in order:
        known = list(districts_of(city))
        covered = [str(d) for d in coverage[city].get("districts") or ()]
        rank = {d: i for i, d in enumerate(known)}
        districts[city] = tuple(sorted(covered, key=lambda d: (rank.get(d, len(known)), d)))
        circles[city] = tuple(sorted(str(b) for b in coverage[city].get("bizcircles") or ()))
    return InquiryPlaces(districts, circles)


def local_time_field(value: str | None, tz: str) -> str | None:
    """A ``datetime-local`` input (``2026-12-25T10:00``, Beijing time, no zone) → ISO 8601
    with the zone, as the API takes times; None when empty. A broken value is left as typed,
    for the schema to refuse in words."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).isoformat()
    except ValueError:
        return text


def money_fields(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, object]:
    """The non-empty ``names`` of a form, amounts typed with thousands separators read plain."""
    return {
        name: text.replace(",", "").replace("，", "")
        for name in names
        if (text := optional_text(form.get(name)))
    }


def validate_body(schema: type[BodyT], given: Mapping[str, object]) -> BodyT:
    """``given`` checked by the API's own body ``schema``; a refusal is a :class:`FormError`
    in words."""
    try:
        return schema.model_validate(given)
    except ValidationError as exc:
        raise _validation_words(exc, given) from None


def lot_create(form: Mapping[str, str], tz: str) -> LotCreate:
    """The court's lot form → :class:`app.schemas.LotCreate`, the API's own body for
    ``POST /api/lots``; times are read in the display time zone."""
    given: dict[str, object] = {
        name: text for name in LotCreate.model_fields if (text := optional_text(form.get(name)))
    }
    for name in ("starts_at", "ends_at"):
        given[name] = local_time_field(form.get(name), tz)
    given.update(money_fields(form, ("start_price", "deposit", "increment", "reference_price")))
    return validate_body(LotCreate, given)
