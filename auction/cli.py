"""`fapai` sub-commands of the auction room (thin: they call the room's functions)."""

from __future__ import annotations

from enum import StrEnum

import typer


class Role(StrEnum):
    court = "court"
    bidder = "bidder"


users_app = typer.Typer(
    help="Accounts: court clerks and bidders, with bearer tokens.", no_args_is_help=True
)


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="The person's name, e.g. '天河法院 书记员 李四'."),
    role: Role = typer.Option(..., "--role", help="court (publishes and manages lots) or bidder."),
) -> None:
    """Create a user and print its bearer token ONCE (only its hash is stored)."""
    from auction import auth
    from fapai.db import make_engine, migrate, session_factory, session_scope
    from fapai.errors import FapaiError
    from fapai.settings import get_settings

    url = get_settings().database_url
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(session_factory(engine)) as session:
            user, token = auth.create_user(session, name, role.value)
            user_id = user.id
    except FapaiError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"user {user_id} ({role.value}) created. Token, shown once, keep it safe:")
    typer.echo(token)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    app.add_typer(users_app, name="users")
