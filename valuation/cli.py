"""`fapai` sub-commands of the valuation room (thin: they call the room's functions).

Market data, training, evaluation and model promotion live in ``valuation.cli_models``
(the online inquiry and outcome training, which wire rooms together, are the app's:
``app.cli``).
"""

from __future__ import annotations

import importlib

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    for name in ("valuation.cli_models",):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app)
