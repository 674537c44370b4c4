"""`fapai` sub-commands of the valuation room (thin: they call the room's functions).

Market data, training, evaluation and model promotion live in ``valuation.cli_models``; batch
appraisal in ``valuation.cli_appraise`` (the online inquiry and the outcome model's training,
which wire rooms together, are the app's: ``app.inquiry_cli``).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from valuation import cli_appraise, cli_models


def register(app: typer.Typer, after_promote: Callable[[], str] | None = None) -> None:
    """Add this room's commands to the root app; ``after_promote()`` runs after a model is
    promoted (the root command re-prices the lots' market estimates) and says what it did."""
    cli_models.register(app, after_promote)
    cli_appraise.register(app)
