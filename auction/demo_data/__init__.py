"""Real sold Guangdong lots the demo is built from (``lots.csv``), its card and its derivation.

``DATA_CARD.md`` says where each column came from; ``derive.py`` regenerates ``lots.csv``.
"""

from pathlib import Path

LOTS_CSV = Path(__file__).resolve().parent / "lots.csv"
