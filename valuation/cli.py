"""`fapai` sub-commands of the valuation room (thin: they call the room's functions).

Market data, training, evaluation and model promotion live in ``valuation.cli_models``;
the online inquiry in ``valuation.cli_inquiry``; batch appraisal in ``valuation.cli_appraise``.
"""

from __future__ import annotations

import typer

from valuation import cli_appraise, cli_inquiry, cli_models


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    cli_models.register(app)
    cli_inquiry.register(app)
    cli_appraise.register(app)
