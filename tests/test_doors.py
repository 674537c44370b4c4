"""The house's one-way doors, read from the source (every ``import`` of every package module):

    fapai (ground floor)  <  auction, valuation (siblings: neither imports the other)
                          <  crawlers (may import valuation and fapai)  <  app (may import all)

A room may import its own modules and the rooms below it, never one above or beside it. The
root command (``app/cli.py``) wires every room's commands; it sits on the top floor anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each room may import besides itself.
MAY_IMPORT: dict[str, set[str]] = {
    "fapai": set(),
    "auction": {"fapai"},
    "valuation": {"fapai"},
    "crawlers": {"valuation", "fapai"},
    "app": {"auction", "valuation", "crawlers", "fapai"},
}

# Known doors still open the wrong way, each to be closed by the work named beside it: delete
# the line when it is. (module, imported room)
ALLOWED_FOR_NOW: set[tuple[str, str]] = set()


def _module_named_by_call(node: ast.AST) -> str | None:
    """``"room.x"`` of ``import_module("room.x")`` or ``__import__("room.x")``, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = getattr(node.func, "attr", getattr(node.func, "id", None))
    first = node.args[0]
    if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
        return str(first.value)
    return None


def imported_rooms(path: Path) -> set[str]:
    """The top-level packages ``path`` imports: absolute imports anywhere in the module, and
    ``import_module("room.x")`` calls (a door hidden behind importlib is still a door)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif (called := _module_named_by_call(node)) is not None:
            names.append(called)
    return {name.split(".")[0] for name in names} & MAY_IMPORT.keys()


def wrong_way_doors() -> set[tuple[str, str]]:
    doors = set()
    for room, allowed in MAY_IMPORT.items():
        for path in sorted((ROOT / room).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            for other in imported_rooms(path) - allowed - {room}:
                doors.add((module, other))
    return doors


def test_no_room_imports_a_room_above_or_beside_it() -> None:
    unexpected = wrong_way_doors() - ALLOWED_FOR_NOW
    assert not unexpected, "imports against the one-way doors: " + ", ".join(
        f"{module} imports {other}" for module, other in sorted(unexpected)
    )


def test_the_allow_list_names_only_doors_still_open() -> None:
    closed = ALLOWED_FOR_NOW - wrong_way_doors()
    assert not closed, f"closed now, delete from ALLOWED_FOR_NOW: {sorted(closed)}"


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import auction.engine\nfrom valuation import schema\nfrom . import sibling\n"
        "def f():\n    from app.main import create_app\n    import json\n"
        "importlib.import_module('crawlers.cli')\n",
        encoding="utf-8",
    )
    assert imported_rooms(source) == {"auction", "valuation", "app", "crawlers"}
