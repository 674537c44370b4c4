"""`fapai` sub-commands of the auction room (thin: they call the room's functions): users,
courts, deposits, serve."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy.orm import Session


class Role(StrEnum):
    court = "court"
    bidder = "bidder"


users_app = typer.Typer(help="账户：法院书记员与竞买人，凭访问令牌登录。", no_args_is_help=True)
courts_app = typer.Typer(help="法院：每个法院只管理自己的拍品。", no_args_is_help=True)
deposits_app = typer.Typer(
    help="保证金：按银行流水确认到账、记录退还、列出逾期未退。", no_args_is_help=True
)


@contextmanager
def _database() -> Iterator[Session]:
    """A session on FAPAI_DATABASE_URL (migrated first), committed on success; a refusal is
    printed in words with exit code 2."""
    from fapai.db import make_engine, migrate, session_factory, session_scope, writer_engine
    from fapai.errors import FapaiError
    from fapai.settings import get_settings

    url = get_settings().database_url
    migrate(url)
    engine = make_engine(url)
    try:
        # These commands write while a server may be writing too: on SQLite take the write lock
        # at BEGIN (and wait for it) rather than fail on a lock upgrade ("database is locked").
        with session_scope(session_factory(writer_engine(engine))) as session:
            yield session
    except FapaiError as exc:
        typer.secho(f"错误：{exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _now():
    from fapai.clock import SystemClock

    return SystemClock().now()


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="姓名，如“天河法院 书记员 李四”。"),
    role: Role = typer.Option(
        ..., "--role", help="court（法院：发布并管理拍品）或 bidder（竞买人）。"
    ),
    court: str | None = typer.Option(
        None, "--court", help="法院代码（见 fapai courts add）；--role court 时必填。"
    ),
) -> None:
    """新建用户并只显示一次其访问令牌（库中只存其哈希）。"""
    from auction import auth
    from fapai.settings import get_settings

    with _database() as session:
        home = auth.court_by_code(session, court) if court else None
        user, token = auth.create_user(
            session,
            name,
            role.value,
            _now(),
            court=home,
            token_days=get_settings().api_token_days,
        )
        user_id = user.id
    shown = {"court": "法院用户", "bidder": "竞买人"}[role.value]
    typer.echo(f"已创建用户 {user_id}（{shown}）。访问令牌只显示这一次，请妥善保管：")
    typer.echo(token)


audit_app = typer.Typer(help="拍品的审计记录（每个拍品一条哈希链）。", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    lot: int | None = typer.Argument(None, help="拍品编号；省略时核验所有有记录的拍品。"),
) -> None:
    """重新计算每个拍品的哈希链，指出第一个被改动、插入或删除的事件；任何一条链断裂时退出码为 1。"""
    from auction import audit

    with _database() as session:
        ids = [lot] if lot is not None else audit.lot_ids(session)
        findings = [f for f in (audit.verify(session, i) for i in ids) if f is not None]
    for finding in findings:
        typer.secho(finding.describe(), fg=typer.colors.RED)
    if findings:
        raise typer.Exit(1)
    typer.echo(f"{len(ids)} 个标的的事件链完整")


@users_app.command("revoke")
def users_revoke(user_id: int = typer.Argument(..., help="用户编号。")) -> None:
    """立即终止该用户的全部访问令牌与网页登录。"""
    from auction import auth

    with _database() as session:
        ended = auth.revoke_user(session, user_id, _now())
    typer.echo(f"用户 {user_id}：已终止 {ended} 个令牌或登录。")


@users_app.command("rotate")
def users_rotate(user_id: int = typer.Argument(..., help="用户编号。")) -> None:
    """签发新令牌（只显示一次）；该用户原有的令牌与登录随即失效。"""
    from auction import auth
    from fapai.settings import get_settings

    with _database() as session:
        token = auth.rotate_token(session, user_id, _now(), get_settings().api_token_days)
    typer.echo(f"用户 {user_id}：新访问令牌只显示这一次，请妥善保管：")
    typer.echo(token)


@courts_app.command("add")
def courts_add(
    code: str = typer.Argument(..., help="简短代码，如 GZTH（字母、数字、- 与 _）。"),
    name: str = typer.Argument(..., help="全称，如 广州市天河区人民法院。"),
) -> None:
    """新增法院；之后用 `fapai users add 姓名 --role court --court 代码` 为其添加用户。"""
    from auction import auth

    with _database() as session:
        court = auth.create_court(session, code, name, _now())
        shown = f"{court.code} {court.name}"
    typer.echo(f"已创建法院 {shown}。")


@courts_app.command("list")
def courts_list() -> None:
    """列出所有法院：代码与名称。"""
    from sqlalchemy import select

    from auction.store import Court

    with _database() as session:
        for court in session.scalars(select(Court).order_by(Court.code)):
            typer.echo(f"{court.code}\t{court.name}")


@deposits_app.command("import")
def deposits_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="银行流水 CSV 文件。"),
    court: str = typer.Option(..., "--court", help="法院代码（收款账户所属的法院）。"),
    encoding: str = typer.Option("utf-8", help="文件编码（不少银行为 gb18030）。"),
) -> None:
    """按付款附言确认银行流水显示已到账的待确认保证金。"""
    from auction import auth, deposits
    from fapai.settings import get_settings

    try:
        text = file.read_text(encoding=encoding)
    except (UnicodeDecodeError, LookupError):
        typer.secho(
            f"错误：无法以 {encoding} 编码读取 {file}（可试 --encoding gb18030）",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None
    with _database() as session:
        home = auth.court_by_code(session, court)
        result = deposits.import_statement(session, text, home.id, _now(), get_settings())
    for reference in result.confirmed:
        typer.echo(f"已确认 {reference}")
    for line, reason in result.skipped:
        typer.echo(f"第 {line} 行未处理：{reason}")
    typer.echo(f"确认 {len(result.confirmed)} 笔，未处理 {len(result.skipped)} 行。")


@deposits_app.command("refund")
def deposits_refund(
    reference: str = typer.Argument(..., help="保证金的付款附言。"),
    court: str = typer.Option(..., "--court", help="法院代码。"),
) -> None:
    """记录保证金已退还（拍卖规定 第二十三条）。"""
    from auction import auth, deposits

    with _database() as session:
        home = auth.court_by_code(session, court)
        deposits.refund_by_reference(session, reference, home.id, _now())
    typer.echo(f"已记录退还 {reference}")


@deposits_app.command("overdue")
def deposits_overdue(
    court: str = typer.Option(..., "--court", help="法院代码。"),
) -> None:
    """列出已超过 24 小时退还期限（拍卖规定 第二十三条）仍未退还的保证金。"""
    from auction import auth, deposits
    from fapai.clock import to_display
    from fapai.money import fen_to_yuan

    with _database() as session:
        home = auth.court_by_code(session, court)
        due = deposits.due_refunds(session, home.id, _now())
    for r in due:
        when = to_display(r.refund_due_by).strftime("%Y-%m-%d %H:%M")
        typer.echo(
            f"{r.payment_reference}\t拍品 {r.lot_id}\t{r.case_number}\t"
            f"¥{fen_to_yuan(r.deposit)}\t应于 {when} 前退还"
        )
    typer.echo(f"逾期未退 {len(due)} 笔。")


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.add_typer(courts_app, name="courts")
    app.add_typer(deposits_app, name="deposits")
