"""``python -m app``: the ``fapai`` command (for a process started without the console script)."""

from app.cli import app

app(prog_name="fapai")
