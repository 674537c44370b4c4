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


users_app = typer.Typer(
    help="Accounts: court clerks and bidders, with bearer tokens.", no_args_is_help=True
)
courts_app = typer.Typer(help="Courts: each manages only its own lots.", no_args_is_help=True)
deposits_app = typer.Typer(
    help="Deposits: confirm from a bank statement, refunds, overdue refunds.",
    no_args_is_help=True,
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
    name: str = typer.Argument(..., help="The person's name, e.g. '天河法院 书记员 李四'."),
    role: Role = typer.Option(..., "--role", help="court (publishes and manages lots) or bidder."),
    court: str | None = typer.Option(
        None, "--court", help="The court's code (fapai courts add); required for --role court."
    ),
) -> None:
    """Create a user and print its bearer token ONCE (only its hash is stored)."""
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
    typer.echo(f"user {user_id} ({role.value}) created. Token, shown once, keep it safe:")
    typer.echo(token)


audit_app = typer.Typer(help="The lots' audit trail (hash chain per lot).", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    lot: int | None = typer.Argument(None, help="A lot id; every lot with a trail when omitted."),
) -> None:
    """Recompute each lot's hash chain; name the first event altered, inserted or removed.
    Exit status 1 when any chain is broken."""
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
def users_revoke(user_id: int = typer.Argument(..., help="The user's id.")) -> None:
    """End every token and web session of a user at once."""
    from auction import auth

    with _database() as session:
        ended = auth.revoke_user(session, user_id, _now())
    typer.echo(f"user {user_id}: {ended} token(s) and session(s) ended.")


@users_app.command("rotate")
def users_rotate(user_id: int = typer.Argument(..., help="The user's id.")) -> None:
    """Issue a new token (printed ONCE); the user's old tokens and sessions end."""
    from auction import auth
    from fapai.settings import get_settings

    with _database() as session:
        token = auth.rotate_token(session, user_id, _now(), get_settings().api_token_days)
    typer.echo(f"user {user_id}: new token, shown once, keep it safe:")
    typer.echo(token)


@courts_app.command("add")
def courts_add(
    code: str = typer.Argument(..., help="Short code, e.g. GZTH (letters, digits, - and _)."),
    name: str = typer.Argument(..., help="Full name, e.g. 广州市天河区人民法院."),
) -> None:
    """Add a court; then `fapai users add NAME --role court --court CODE`."""
    from auction import auth

    with _database() as session:
        court = auth.create_court(session, code, name, _now())
        shown = f"{court.code} {court.name}"
    typer.echo(f"court {shown} created.")


@courts_app.command("list")
def courts_list() -> None:
    """Every court: code and name."""
    from sqlalchemy import select

    from auction.store import Court

    with _database() as session:
        for court in session.scalars(select(Court).order_by(Court.code)):
            typer.echo(f"{court.code}\t{court.name}")


@deposits_app.command("import")
def deposits_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The bank's CSV."),
    court: str = typer.Option(..., "--court", help="The court's code (whose account it is)."),
    encoding: str = typer.Option("utf-8", help="The file's encoding (gb18030 for many banks)."),
) -> None:
    """Confirm the pending deposits a bank statement shows arrived (by payment reference)."""
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
    reference: str = typer.Argument(..., help="The payment reference of the deposit."),
    court: str = typer.Option(..., "--court", help="The court's code."),
) -> None:
    """Record that a deposit was refunded (拍卖规定 第二十三条)."""
    from auction import auth, deposits

    with _database() as session:
        home = auth.court_by_code(session, court)
        deposits.refund_by_reference(session, reference, home.id, _now())
    typer.echo(f"已记录退还 {reference}")


@deposits_app.command("overdue")
def deposits_overdue(
    court: str = typer.Option(..., "--court", help="The court's code."),
) -> None:
    """Deposits whose 24-hour refund deadline (拍卖规定 第二十三条) has passed."""
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
