"""`fapai` sub-commands of the auction room (thin: they call the room's functions)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
