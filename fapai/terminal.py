"""Tables on the terminal, whole at any width: a ``fapai`` command's table is drawn at its own
width, never squeezed to the terminal's (a squeezed rich table cuts cells with "…" and drops
columns: a version id or a sentence cut is useless). So the output is the same at any width;
a terminal narrower than the table wraps its lines, losing nothing.
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.measure import Measurement

WIDEST = 10_000  # wider than any table drawn: the measure is the table's own


def print_whole(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable`` (a table) at its natural width to ``console``'s output."""
    width = Measurement.get(console, console.options.update_width(WIDEST), renderable).maximum
    Console(
        file=console.file,
        width=width,
        color_system=console.color_system,
        force_terminal=console.is_terminal,
        highlight=False,
    ).print(renderable)
