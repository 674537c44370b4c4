"""`fapai` sub-commands of the valuation room (thin: they call the room's functions).

Market data, training, evaluation and model promotion live in ``valuation.cli_models``;
the online inquiry in ``valuation.cli_inquiry``.
"""

from __future__ import annotations

import importlib

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    for name in ("valuation.cli_models", "valuation.cli_inquiry", "valuation.cli_appraise"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app)
