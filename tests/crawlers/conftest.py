"""Fixture sites for the crawler tests (rendered from tests/fixtures/sites in the real markup)."""

from __future__ import annotations

import sys
from pathlib import Path

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
sys.path.insert(0, str(SITES))
