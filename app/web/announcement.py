"""The bidding rules a lot page announces (拍卖规定 第十二条: the notice and the bidding rules
are published with the lot), in words, from the settings in force and the lot's own terms."""

from __future__ import annotations

from app.schemas import LotView
from app.web.display import duration_words, percent, yuan
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
        f"拍卖成交后，未成交竞买人的保证金在 {settings.refund_hours} 小时内退还（第二十三条）。"
        "买受人悔拍的，保证金不予退还，且不得参加该标的的再次拍卖（第二十四条）。",
        f"无人出价即为流拍；流拍后 {settings.reauction_within_days} 日内再次拍卖，起拍价降价幅度不"
        f"超过前次起拍价的 {cut}（第二十六条）。",
    ]
    return rules


def sale_rules(lot: LotView, settings: Settings) -> list[str]:
    """The rules of a 变卖 only (not the auction's start-price, extension or 流拍 rules), per
    最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知."""
    return [
        f"本标的经二次拍卖未能成交，进入变卖程序，变卖价为二拍起拍价 {yuan(lot.start_price)}"
        "（最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知）。",
        f"变卖期为 {settings.sale_period_days} 日；竞买人须先交纳保证金 {yuan(lot.deposit)}，"
        "报名后取得竞买号。",
        "变卖期内以变卖价出价，先出价者买得；变卖期满无人出价的，变卖不成。",
        f"未买得的竞买人的保证金在 {settings.refund_hours} 小时内退还（拍卖规定 第二十三条）；"
        "买受人悔拍的，保证金不予退还（第二十四条）。",
    ]
