"""List-page signatures: a re-crawl fetches a detail page only when its signature changed.

The signature hashes what a list page shows that a change on the detail page would also
move: the price and the title for housing listings (the list carries no update date), the
status, prices and end time for auction lots.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

LISTING_SIGNATURE_FIELDS = ("price_total", "unit_price", "title")
AUCTION_SIGNATURE_FIELDS = ("status", "start_price_fen", "final_price_fen", "end_at")


def signature(item: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """A short stable hash of ``fields`` of ``item`` (missing fields count as empty)."""
    payload = json.dumps([str(item.get(name) or "") for name in fields], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:20]
