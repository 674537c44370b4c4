"""The bidding rules a lot page announces (拍卖规定 第十二条: the notice and the bidding rules
are published with the lot), in words, from the settings in force and the lot's own terms."""

from __future__ import annotations

from app.schemas import LotView
from app.web.display import duration_words, percent, yuan
from fapai.law import NOTICE_FIELDS
from fapai.settings import Settings


def bidding_rules(lot: LotView, settings: Settings) -> list[str]:
    """One sentence per rule, each citing its article of 拍卖规定 (法释〔2016〕18号)."""
    if lot.round == "sale":
        return sale_rules(lot, settings)
    extension = duration_words(settings.extension_seconds)
    floor = percent(settings.start_price_floor_ratio, digits=0)
    ratio = percent(lot.start_price / lot.reference_price) if lot.reference_price else "—"
    cut = percent(settings.reauction_max_cut_ratio, 0)
    if lot.round == 1:
        price_rule = (
            f"本标的起拍价 {yuan(lot.start_price)}，为参考价的 {ratio}；起拍价不得低于参考价的 "
            f"{floor}（第十条）。"
        )
    else:
        # A second auction may start below 70% of the reference:
        # its floor is the previous start price less at most 20% (第二十六条).
        price_rule = (
            f"本标的为再次拍卖，起拍价 {yuan(lot.start_price)}，为参考价的 {ratio}；"
            f"首次拍卖起拍价不得低于参考价的 {floor}（第十条），"
            f"再次拍卖起拍价较前次降价不超过 {cut}（第二十六条）。"
        )
    rules = [
        price_rule,
        f"竞买人须先交纳保证金 {yuan(lot.deposit)}（起拍价的 "
        f"{percent(settings.deposit_min_ratio, 0)}–{percent(settings.deposit_max_ratio, 0)}），"
        "报名后取得竞买号，竞买人身份在拍卖结束前保密（第十七条、第十八条）。",
        f"首次出价不得低于起拍价，之后每次出价不得低于当前价加加价幅度 {yuan(lot.increment)}；"
        f"竞价时间不少于 {duration_words(settings.min_bidding_seconds)}；以平台收到出价的时间为准"
        "（第二十条）。",
        f"拍卖结束前 {extension} 内有人出价的，结束时间自该出价时起延后 {extension}（第二十条）。",
        "优先购买权人经法院确认后取得优先竞买号，可以与最高出价相同的价格出价，同价时优先购买权人"
        "优先；顺位在前者优先（第十九条、第二十一条）。",
        f"拍卖成交后，未成交竞买人的保证金在 {settings.refund_hours} 小时内退还（第二十三条）；"
        "平台以买受人的真实身份生成成交确认书并公示（第二十二条）。",
        f"买受人须在成交后 {settings.balance_payment_days:g} 日内交纳尾款（第二十五条）；逾期未交或"
        "悔拍的，保证金不予退还，依次用于支付费用损失、弥补重新拍卖的差价、冲抵债务，标的在同一轮次"
        "重新拍卖，原买受人不得参加竞买（第二十四条）。",
        "竞买人应当具备完全民事行为能力；竞买即视为对标的现状及已知瑕疵完全了解（第十四条）。"
        "申请执行人参加竞买的可以不交保证金，债权数额小于保证金的按差额交纳（第十七条）。",
        "优先购买权人经通知未参与竞买的，视为放弃优先购买权（第十六条）。",
        f"无人出价即为流拍；流拍后 {settings.reauction_within_days} 日内再次拍卖，起拍价降价幅度不"
        f"超过前次起拍价的 {cut}（第二十六条）。",
    ]
    return rules


def sale_rules(lot: LotView, settings: Settings) -> list[str]:
    """The rules of a 变卖 only (not the auction's start-price, extension or 流拍 rules), per
    最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知."""
    extension = duration_words(settings.extension_seconds)
    return [
        f"本标的经二次拍卖未能成交，进入变卖程序，变卖价为二拍起拍价 {yuan(lot.start_price)}"
        "（最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知）。",
        f"变卖期为 {settings.sale_period_days} 日；竞买人须交齐变卖价全款 {yuan(lot.deposit)} "
        "作为保证金，报名后取得竞买号。",
        f"变卖期内首次出价不得低于变卖价，首次出价后进入 "
        f"{duration_words(settings.sale_bidding_seconds)} 竞价期，其他竞买人可按加价幅度 "
        f"{yuan(lot.increment)} 加价，结束前 {extension} 内有人出价的顺延 {extension}，出价最高者"
        "买得；无人加价的，首次出价者以变卖价买得；变卖期满无人出价的，变卖不成。",
        f"未买得的竞买人的保证金在 {settings.refund_hours} 小时内退还（拍卖规定 第二十三条）；"
        f"买受人须在成交后 {settings.balance_payment_days:g} 日内交纳差额（第二十五条），"
        "悔拍的保证金不予退还（第二十四条）。",
    ]


def notice_items(lot: LotView) -> list[tuple[str, str]]:
    """The notice's disclosures (拍卖规定 第十三条、第十四条、第三十条) the court stated, as
    (label, text) pairs in the law's order."""
    return [
        (label, text) for name, label in NOTICE_FIELDS.items() if (text := getattr(lot, name, None))
    ]
