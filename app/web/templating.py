"""The Jinja environment of the pages (templates folder, filters, globals) and how a page is
rendered: with its user and a notice, or as an error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.web import display
from auction.payments import deposits_are_recorded_only
from auction.store import User

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_templates() -> Jinja2Templates:
    """Templates with the display filters: ``{{ lot.start_price | yuan }}``, ``| wan``,
    ``| percent``, ``| local_time``, ``| local_date``, ``| duration``, ``| full_address`` (of
    a lot), and the code-to-word maps ``| property_type``, ``| status``, ``| method``,
    ``| round_name``."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.filters.update(
        yuan=display.yuan,
        capital_yuan=display.chinese_amount,
        file_size=display.file_size,
        wan=display.wan,
        percent=display.percent,
        local_time=display.local_time,
        local_date=display.local_date,
        duration=display.duration_words,
        full_address=lambda lot: display.full_address(lot.city, lot.district, lot.address),
        property_type=lambda code: display.label(display.PROPERTY_TYPES, code),
        status=lambda code: display.label(display.STATUSES, code),
        outcome=lambda code: display.label(display.OUTCOMES, code),
        method=lambda code: display.label(display.REFERENCE_METHODS, code),
        round_name=lambda code: display.label(display.ROUNDS, code),
    )
    env.globals.update(
        PROPERTY_TYPES=display.PROPERTY_TYPES,
    )
    return templates


templates = build_templates()

# A notice after a redirect is named by a code in the URL, never by free text from the URL.
NOTICES: dict[str, str] = {
    "signed_in": "已登录。",
    "signed_out": "已退出登录。",
    "registered": "报名成功，保证金已交纳。",
    "registered_pending": "已报名：请按付款参考号交纳保证金，法院确认到账后方可出价。",
    "bid": "出价成功。",
    "published": "拍卖已发布。",
    "relisted": "已发布再次拍卖（或变卖）。",
    "reneged": "已记录悔拍，保证金不予退还（拍卖规定 第二十四条）。",
    "holder_added": "已确认优先购买权人。",
    "deposit_confirmed": "已确认保证金到账：该竞买人已取得竞买号。",
    "refund_recorded": "已记录保证金退还。",
    "attached": "文件已上传。",
    "followed": "已关注：开拍前和结束前会提醒您。",
    "unfollowed": "已取消关注。",
    "contact_saved": "提醒邮箱已保存。",
    "suspended": "已暂缓（或中止）拍卖，竞价即时停止（拍卖规定 第二十八条）。",
    "resumed": "已恢复拍卖。",
    "withdrawn": "已撤回拍卖，保证金将退还。",
    "paid": "已记录尾款。",
}


def render(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` with the user and the notice named in the URL, if any."""
    notice = NOTICES.get(request.query_params.get("done", ""))
    recorded = deposits_are_recorded_only(request.app.state.settings)
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "notice": notice, "recorded_deposits": recorded, **context},
        status_code=status_code,
    )


def error_page(
    request: Request, user: User | None, status_code: int, heading: str, message: str
) -> HTMLResponse:
    return render(
        request, "error.html", user, status_code=status_code, heading=heading, message=message
    )


def court_only(request: Request, user: User | None) -> Response | None:
    """None for a court user; else the sign-in page (anonymous) or a 403 page (a bidder)."""
    if user is None:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    if user.role != "court":
        return error_page(request, user, 403, "没有权限", "此页面只对法院账号开放。")
    return None
