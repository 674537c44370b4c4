"""The law of the online judicial auction as pure functions over :class:`fapai.settings.Settings`.

No I/O, no clock: every function is handed the times it compares. A broken rule raises
:class:`fapai.errors.RuleViolation` naming the field, the rule and its article.

拍卖规定 = 最高人民法院关于人民法院网络司法拍卖若干问题的规定 (法释〔2016〕18号).
参考价规定 = 最高人民法院关于人民法院确定财产处置参考价若干问题的规定 (法释〔2018〕15号).
衔接通知 = 最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知 (2017). Its official
text was not found in the reference stores this was written from; the 变卖 rules below follow
its points as published by courts and platforms (变卖价 = 二拍流拍价; a bidder qualifies by
paying the whole 变卖价; the first bid opens a 24-hour bidding period with the 5-minute
extension; 60-day 变卖期; real estate announced 15 days before) and are cited by its title.

Every rule text (``RuleViolation.rule``) is Chinese: people read it; ``field`` and ``article``
are the stable machine codes.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from fapai.errors import RuleViolation
from fapai.money import fen_to_yuan, ratio_of
from fapai.settings import Settings

ART_10 = "拍卖规定 第十条"
ART_12 = "拍卖规定 第十二条"
ART_17 = "拍卖规定 第十七条"
ART_20 = "拍卖规定 第二十条"
ART_21 = "拍卖规定 第二十一条"
ART_13 = "拍卖规定 第十三条"
ART_14 = "拍卖规定 第十四条"
ART_16 = "拍卖规定 第十六条"
ART_18 = "拍卖规定 第十八条"
ART_19 = "拍卖规定 第十九条"
ART_22 = "拍卖规定 第二十二条"
ART_23 = "拍卖规定 第二十三条"
ART_24 = "拍卖规定 第二十四条"
ART_25 = "拍卖规定 第二十五条"
ART_26 = "拍卖规定 第二十六条"
ART_27 = "拍卖规定 第二十七条"
ART_28 = "拍卖规定 第二十八条"
ART_30 = "拍卖规定 第三十条"
SALE_NOTICE = "最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知"
REFERENCE_RULES = "参考价规定 (法释〔2018〕15号)"
REFERENCE_ART_27 = "参考价规定 第二十七条"
# 撤回: the case ended (e.g. the debt was paid) so the court withdraws the lot; 民事诉讼法 on
# 终结执行 and 拍卖规定 第二十八条's duty to stop at once are what a withdrawal cites by default.
WITHDRAW_DEFAULT_ARTICLE = ART_28

PROPERTY_TYPES = ("residential", "commercial", "parking", "land", "vehicle", "equity", "other")
# Vehicles and other movables follow the movable rules; real estate and property rights
# (equity) the immovable ones (拍卖规定 第十二条).
MOVABLE_TYPES = frozenset({"vehicle", "other"})
REFERENCE_METHODS = ("inquiry", "appraisal", "negotiation", "directed")


def format_yuan(fen: int) -> str:
    """¥1234.50 for messages."""
    return f"¥{fen_to_yuan(fen)}"


def _duration(seconds: int) -> str:
    """86400 → "24 小时"; 90 → "90 秒": durations in messages."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


def is_movable(property_type: str) -> bool:
    return property_type in MOVABLE_TYPES


def min_start_price(reference_fen: int, settings: Settings) -> int:
    """拍卖规定 第十条: the start price is at least 70% of the reference price (rounded up)."""
    return ratio_of(reference_fen, settings.start_price_floor_ratio, rounding=ROUND_CEILING)


def check_start_price(start_fen: int, reference_fen: int, settings: Settings) -> None:
    """拍卖规定 第十条: start price ≥ 70% of the reference price."""
    floor = min_start_price(reference_fen, settings)
    if start_fen < floor:
        ratio = settings.start_price_floor_ratio * 100
        raise RuleViolation(
            "start_price",
            f"起拍价不得低于参考价的 {ratio:.0f}%，即不得低于 {format_yuan(floor)}",
            ART_10,
        )


def check_deposit(deposit_fen: int, start_fen: int, settings: Settings) -> None:
    """拍卖规定 第十七条: the deposit is 5%–20% of the start price."""
    low, high = deposit_range(start_fen, settings)
    if not low <= deposit_fen <= high:
        lo_pct, hi_pct = settings.deposit_min_ratio * 100, settings.deposit_max_ratio * 100
        raise RuleViolation(
            "deposit",
            f"保证金须为起拍价的 {lo_pct:.0f}%–{hi_pct:.0f}%，"
            f"即 {format_yuan(low)} 至 {format_yuan(high)}",
            ART_17,
        )


def check_increment(increment_fen: int) -> None:
    """拍卖规定 第二十条: bidding goes up from the start price in a fixed, positive increment."""
    if increment_fen <= 0:
        raise RuleViolation("increment", "加价幅度须大于零", ART_20)


def check_bidding_window(starts_at: datetime, ends_at: datetime, settings: Settings) -> None:
    """拍卖规定 第二十条: bidding lasts at least 24 hours (``min_bidding_seconds``)."""
    if ends_at - starts_at < timedelta(seconds=settings.min_bidding_seconds):
        raise RuleViolation(
            "ends_at",
            f"竞价时间不得少于 {_duration(settings.min_bidding_seconds)}",
            ART_20,
        )


def announcement_days(property_type: str, settings: Settings, *, reauction: bool = False) -> int:
    """Days between publication and the start of bidding.

    First auction: 15 days for movables, 30 for real estate and property rights (第十二条);
    re-auction: 7 and 15 days (第二十六条).
    """
    if reauction:
        return (
            settings.reannounce_days_movable
            if is_movable(property_type)
            else settings.reannounce_days_immovable
        )
    return (
        settings.announce_days_movable
        if is_movable(property_type)
        else settings.announce_days_immovable
    )


def check_announcement(
    published_at: datetime,
    starts_at: datetime,
    property_type: str,
    settings: Settings,
    *,
    reauction: bool = False,
) -> None:
    """拍卖规定 第十二条 / 第二十六条: bidding starts at least the announcement period after
    publication."""
    days = announcement_days(property_type, settings, reauction=reauction)
    if starts_at < published_at + timedelta(days=days):
        kind = "动产" if is_movable(property_type) else "不动产或其他财产权"
        what = "再次拍卖" if reauction else "拍卖"
        raise RuleViolation(
            "starts_at",
            f"{what}{kind}，应当在竞价开始 {days} 日前公告",
            ART_26 if reauction else ART_12,
        )


@dataclass(frozen=True)
class Leader:
    """The bid currently in the lead: its amount and its bidder's priority rank (None = none)."""

    amount_fen: int
    priority_rank: int | None


def outranks(rank: int | None, other: int | None) -> bool:
    """拍卖规定 第二十一条: at the same price a priority holder beats an ordinary bidder, a lower
    rank number beats a higher one; at equal standing the earlier bid wins (so: not strictly)."""
    if rank is None:
        return False
    return other is None or rank < other


def minimum_bid(start_fen: int, increment_fen: int, leader: Leader | None) -> int:
    """拍卖规定 第二十条: the first bid is at least the start price, each next one at least the
    current price plus the increment."""
    return start_fen if leader is None else leader.amount_fen + increment_fen


def bid_takes_lead(
    amount_fen: int,
    start_fen: int,
    increment_fen: int,
    leader: Leader | None,
    priority_rank: int | None,
) -> bool:
    """Whether a bid of ``amount_fen`` by a bidder of ``priority_rank`` is valid now.

    Every valid bid takes the lead: either it reaches the minimum bid (第二十条), or it is a
    priority holder matching the current price and outranking the leader (第十九条, 第二十一条).
    """
    if amount_fen >= minimum_bid(start_fen, increment_fen, leader):
        return True
    return (
        leader is not None
        and amount_fen == leader.amount_fen
        and outranks(priority_rank, leader.priority_rank)
    )


def check_first_bid(amount_fen: int, start_fen: int) -> None:
    """拍卖规定 第二十条: a bid below the start price is invalid."""
    if amount_fen < start_fen:
        raise RuleViolation(
            "amount", f"出价不得低于起拍价 {format_yuan(start_fen)}，低于起拍价的出价无效", ART_20
        )


def extended_end(ends_at: datetime, bid_at: datetime, settings: Settings) -> datetime:
    """拍卖规定 第二十条: a bid in the last ``extension_seconds`` moves the end to that long
    after the bid (the platform's receipt time counts)."""
    extension = timedelta(seconds=settings.extension_seconds)
    return max(ends_at, bid_at + extension)


def check_reauction_start_price(
    start_fen: int, previous_start_fen: int, settings: Settings
) -> None:
    """拍卖规定 第二十六条: a re-auction's start price is cut at most 20% from the previous one
    (and not raised)."""
    floor = min_reauction_start_price(previous_start_fen, settings)
    if not floor <= start_fen <= previous_start_fen:
        cut = settings.reauction_max_cut_ratio * 100
        previous = format_yuan(previous_start_fen)
        raise RuleViolation(
            "start_price",
            f"再次拍卖的起拍价降价幅度不得超过前次起拍价 {previous} 的 {cut:.0f}%，"
            f"即须在 {format_yuan(floor)} 至 {previous} 之间",
            ART_26,
        )


def check_reauction_within(failed_at: datetime, published_at: datetime, settings: Settings) -> None:
    """拍卖规定 第二十六条: 流拍后应当在三十日内再次拍卖, announced 7 (movables) / 15 days
    before. The re-auction is put up, i.e. its announcement published, within the 30 days; its
    bidding starts the announcement period after that (:func:`check_announcement`), so a lawful
    start always exists for a court that acts within the 30 days (reading the 30 days as the
    start of bidding would leave none once 15 of them have passed)."""
    if published_at > failed_at + timedelta(days=settings.reauction_within_days):
        raise RuleViolation(
            "starts_at",
            f"流拍后应当在 {settings.reauction_within_days} 日内发布再次拍卖公告，现已逾期",
            ART_26,
        )


def reauction_deadline(failed_at: datetime, settings: Settings) -> datetime:
    """拍卖规定 第二十六条: the last moment to announce the re-auction of a failed lot."""
    return failed_at + timedelta(days=settings.reauction_within_days)


def check_sale_terms(
    start_fen: int,
    second_round_start_fen: int,
    starts_at: datetime,
    ends_at: datetime,
    settings: Settings,
) -> None:
    """变卖 after a failed second auction: at the second auction's start price, for the sale
    period (``sale_period_days``)."""
    if start_fen != second_round_start_fen:
        raise RuleViolation(
            "start_price",
            f"变卖价为第二次拍卖的起拍价（二拍流拍价）{format_yuan(second_round_start_fen)}",
            SALE_NOTICE,
        )
    if ends_at - starts_at != timedelta(days=settings.sale_period_days):
        raise RuleViolation(
            "ends_at",
            f"变卖期为 {settings.sale_period_days} 日",
            SALE_NOTICE,
        )


def check_sale_deposit(deposit_fen: int, price_fen: int) -> None:
    """衔接通知: a bidder qualifies for a 变卖 by paying the whole 变卖 price (变卖价全款) as the
    deposit, not 5–20% of it."""
    if deposit_fen != price_fen:
        raise RuleViolation(
            "deposit",
            f"变卖的竞买人须交齐变卖价全款 {format_yuan(price_fen)} 作为保证金",
            SALE_NOTICE,
        )


def sale_bidding_end(first_bid_at: datetime, settings: Settings) -> datetime:
    """衔接通知: the first qualified bid in the 变卖期 opens a 24-hour bidding period (then the
    5-minute extension of 拍卖规定 第二十条 applies)."""
    return first_bid_at + timedelta(seconds=settings.sale_bidding_seconds)


def sale_announcement_days(property_type: str, settings: Settings) -> int:
    """衔接通知: a 变卖 of real estate is announced 15 days before the 变卖期 starts, movables 7."""
    if is_movable(property_type):
        return settings.sale_announce_days_movable
    return settings.sale_announce_days_immovable


def check_sale_announcement(
    published_at: datetime, starts_at: datetime, property_type: str, settings: Settings
) -> None:
    """衔接通知: the 变卖期 starts at least the 变卖 announcement period after publication."""
    days = sale_announcement_days(property_type, settings)
    if starts_at < published_at + timedelta(days=days):
        kind = "动产" if is_movable(property_type) else "不动产或其他财产权"
        raise RuleViolation(
            "starts_at", f"变卖{kind}，应当在变卖期开始 {days} 日前公告", SALE_NOTICE
        )


def check_sale_announced_within(
    failed_at: datetime, published_at: datetime, settings: Settings
) -> None:
    """衔接通知: the 变卖 announcement is published within 15 days of the second failed auction."""
    if published_at > failed_at + timedelta(days=settings.sale_announce_within_days):
        raise RuleViolation(
            "starts_at",
            f"二拍流拍后应当在 {settings.sale_announce_within_days} 日内发布变卖公告",
            SALE_NOTICE,
        )


def add_months(when: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, monthrange(year, month)[1]))


def check_reference_valid(
    valid_until: datetime,
    published_at: datetime,
    starts_at: datetime,
    settings: Settings,
    *,
    first: bool,
) -> None:
    """参考价规定 第二十七条: a report's validity (at most a year) binds the court two ways.

    The first auction's announcement (or a 变卖 entered directly) is published within the
    validity; and an auction or 变卖 held (its bidding starting) no more than 6 months after
    the validity ended needs no new reference price. So round 1 checks both, later rounds the
    second only.
    """
    if first and published_at > valid_until:
        raise RuleViolation(
            "inquiry_id",
            f"参考价有效期至 {valid_until:%Y-%m-%d}，一拍拍卖公告须在有效期内发布",
            REFERENCE_ART_27,
        )
    grace = settings.reference_grace_months
    latest = add_months(valid_until, grace)
    if starts_at > latest:
        raise RuleViolation(
            "starts_at",
            f"参考价有效期至 {valid_until:%Y-%m-%d}，拍卖、变卖时超过有效期 {grace} 个月的，"
            f"须重新确定参考价（最迟 {latest:%Y-%m-%d} 开始）",
            REFERENCE_ART_27,
        )


def check_renege_reauction_price(start_fen: int, reneged_start_fen: int) -> None:
    """拍卖规定 第二十四条: after a renege the lot is re-auctioned (重新拍卖) in the same round,
    at that round's start price: a renege is not a 流拍, so no cut (第二十六条) applies."""
    if start_fen != reneged_start_fen:
        raise RuleViolation(
            "start_price",
            f"悔拍后重新拍卖，起拍价为原轮次的起拍价 {format_yuan(reneged_start_fen)}，"
            "不因悔拍降价",
            ART_24,
        )


@dataclass(frozen=True)
class ForfeitUse:
    """拍卖规定 第二十四条: where a reneger's forfeited deposit went, in the article's order."""

    costs: int
    shortfall: int
    debt: int

    def as_dict(self) -> dict[str, int]:
        return {"costs": self.costs, "shortfall": self.shortfall, "debt": self.debt}


def apply_forfeit(forfeited_fen: int, costs_fen: int, shortfall_fen: int) -> ForfeitUse:
    """拍卖规定 第二十四条: a reneger's deposit is not refunded; it pays, in order, the costs
    the auction caused (费用损失), the shortfall of the re-auction's price below the reneged
    price (差价), then the debtor's debt in this case (and related debts)."""
    to_costs = min(forfeited_fen, max(costs_fen, 0))
    to_shortfall = min(forfeited_fen - to_costs, max(shortfall_fen, 0))
    return ForfeitUse(to_costs, to_shortfall, forfeited_fen - to_costs - to_shortfall)


def balance_due_by(closed_at: datetime, settings: Settings) -> datetime:
    """拍卖规定 第二十五条: the buyer pays the balance within the period the notice states
    (``balance_payment_days``)."""
    return closed_at + timedelta(days=settings.balance_payment_days)


def check_balance_payment(amount_fen: int, outstanding_fen: int) -> None:
    """拍卖规定 第二十五条: a balance payment is positive and not more than what is owed."""
    if not 0 < amount_fen <= outstanding_fen:
        raise RuleViolation(
            "amount",
            f"尾款付款金额须大于零且不超过未付尾款 {format_yuan(outstanding_fen)}",
            ART_25,
        )


def creditor_deposit(deposit_fen: int, claim_fen: int) -> int:
    """拍卖规定 第十七条: the applicant creditor (申请执行人) may bid without a deposit; where its
    claim is smaller than the deposit it pays the difference."""
    return max(deposit_fen - max(claim_fen, 0), 0)


def check_resume_schedule(
    resumed_at: datetime, starts_at: datetime, ends_at: datetime, settings: Settings
) -> None:
    """拍卖规定 第二十八条: a suspended or stopped auction that is to continue is resumed within
    5 days (``resume_within_days``); bidding still lasts at least 24 hours (第二十条)."""
    if not resumed_at <= starts_at <= resumed_at + timedelta(days=settings.resume_within_days):
        raise RuleViolation(
            "starts_at",
            f"恢复拍卖的竞价须在恢复决定后 {settings.resume_within_days} 日内开始，且不得早于现在",
            ART_28,
        )
    check_bidding_window(starts_at, ends_at, settings)


# 拍卖规定 第十三条、第十四条、第三十条: what the notice discloses. Machine code → Chinese label.
NOTICE_FIELDS: dict[str, str] = {
    "defects": "已知瑕疵",
    "occupancy": "占有使用及租赁情况（是否交吉、带租约、由谁交付）",
    "encumbrances": "权利负担",
    "taxes_borne_by": "税费承担",
    "viewing": "看样安排",
    "purchase_restrictions": "限购等买受人资格",
    "special_conditions": "特别条件",
}
# For real estate these must be stated at publication (第十三条第五、九项, 第十四条第三项).
REAL_ESTATE_REQUIRED_NOTICE = ("occupancy", "taxes_borne_by", "defects")
NOTICE_ARTICLES = {
    "defects": ART_14,
    "occupancy": ART_13,
    "encumbrances": ART_14,
    "taxes_borne_by": ART_30,
    "viewing": ART_14,
    "purchase_restrictions": ART_14,
    "special_conditions": ART_14,
}
REAL_ESTATE_TYPES = frozenset({"residential", "commercial", "parking", "land"})


def check_conditions_accepted(
    special_conditions: str | None, purchase_restrictions: str | None, accepted: bool
) -> None:
    """拍卖规定 第十四条: the notice states the lot's special conditions and who may buy it (限购,
    e.g. a car sold without its plate quota); a bidder registering for such a lot confirms
    that it has read and accepts them."""
    if (special_conditions or purchase_restrictions) and not accepted:
        raise RuleViolation(
            "accept_conditions",
            "本标的有特别条件或买受人资格要求，报名须确认已阅读并接受",
            ART_14,
        )


def check_notice(property_type: str, notice: dict[str, str | None]) -> None:
    """拍卖规定 第十三条、第十四条、第三十条: a real-estate lot states its occupancy, who bears
    the taxes and its known defects ("无" where there are none) when it is published."""
    if property_type not in REAL_ESTATE_TYPES:
        return
    for field in REAL_ESTATE_REQUIRED_NOTICE:
        if not (notice.get(field) or "").strip():
            raise RuleViolation(
                field,
                f"不动产拍卖须在公告中载明{NOTICE_FIELDS[field]}（没有的写“无”）",
                NOTICE_ARTICLES[field],
            )


def check_priority_change(now: datetime, starts_at: datetime) -> None:
    """拍卖规定 第十九条、第二十七条: priority holders and their ranks are fixed before bidding
    starts; no change once it has."""
    if now >= starts_at:
        raise RuleViolation(
            "rank",
            "优先购买权人及其顺序须在竞价开始前确定，竞价开始后不得变更",
            ART_19,
        )


def refund_due_by(closed_at: datetime, settings: Settings) -> datetime:
    """拍卖规定 第二十三条: losers' deposits are refunded within 24 hours of the close."""
    return closed_at + timedelta(hours=settings.refund_hours)


# --- the reference price and the inquiry report (参考价规定, and what a report derives) -------
# Kept apart from the auction's rules above; valuation and the app import these.

REFERENCE_ART_13 = "参考价规定 第十三条"
REFERENCE_ART_14 = "参考价规定 第十四条"
REFERENCE_ART_27 = "参考价规定 第二十七条"


def reauction_keep_ratio(settings: Settings) -> Decimal:
    """拍卖规定 第二十六条: a re-auction keeps at least 1 − the maximum cut (80%) of the previous
    start price."""
    return Decimal(1) - settings.reauction_max_cut_ratio


def min_reauction_start_price(previous_start_fen: int, settings: Settings) -> int:
    """拍卖规定 第二十六条: the lowest lawful re-auction start, the previous start cut by at most
    20% (fen, rounded up so the cut never exceeds it)."""
    return ratio_of(previous_start_fen, reauction_keep_ratio(settings), rounding=ROUND_CEILING)


# The law bounds the start price from below (拍卖规定 第十条: at least 70% of the reference;
# 第二十六条: a re-auction at least 80% of the previous start) and sets no unit. A proposed
# start price is whole yuan, as platforms publish start prices, rounded up so that rounding
# never takes it below its floor (the lawful side, which is also the court's: a higher start).
START_PRICE_UNIT_FEN = 100


def whole_yuan_up(fen: int) -> int:
    """``fen`` rounded up to whole yuan (a start price never rounded below its floor)."""
    return -(-int(fen) // START_PRICE_UNIT_FEN) * START_PRICE_UNIT_FEN


def whole_yuan_down(fen: int) -> int:
    """``fen`` rounded down to whole yuan (a start price never rounded above its cap)."""
    return int(fen) // START_PRICE_UNIT_FEN * START_PRICE_UNIT_FEN


def deposit_range(start_fen: int, settings: Settings) -> tuple[int, int]:
    """拍卖规定 第十七条: the lawful deposits for a start price, 5%–20% of it (fen, inclusive:
    the low end rounded up, the high end down)."""
    return (
        ratio_of(start_fen, settings.deposit_min_ratio, rounding=ROUND_CEILING),
        ratio_of(start_fen, settings.deposit_max_ratio, rounding=ROUND_FLOOR),
    )


def reference_price_mean(results_fen: Sequence[int]) -> int:
    """参考价规定 第十三条: the reference price of an online inquiry is the mean of the results of
    the listed platforms that answered within the deadline (fen, rounded half-up)."""
    if not results_fen:
        raise ValueError("no inquiry platform result to average")
    total = sum(Decimal(r) for r in results_fen)
    return int((total / len(results_fen)).to_integral_value(rounding=ROUND_HALF_UP))


def reference_valid_until(issued_at: datetime, settings: Settings) -> datetime:
    """参考价规定 第二十七条: a reference price report states its validity, at most one year
    (``inquiry_validity_days``)."""
    return issued_at + timedelta(days=settings.inquiry_validity_days)
