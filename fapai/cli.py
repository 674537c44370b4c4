"""The ``fapai`` command: one Typer app, a sub-command group per room.

Each room keeps its commands in its own ``cli.py`` with a ``register(app)`` function; this
module only assembles them.
"""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    name="fapai",
    help="fapai 法拍: online price inquiry and online judicial auction for court enforcement.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Alembic announces every plugin it sets up; keep only the migrations it runs.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _register_rooms() -> None:
    from app.cli import register as register_app
    from auction.cli import register as register_auction
    from crawlers.cli import register as register_crawlers
    from valuation.cli import register as register_valuation

    register_auction(app)
    register_valuation(app)
    register_crawlers(app)
    register_app(app)


_register_rooms()
