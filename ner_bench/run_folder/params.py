"""The canonical text of a method's parameters: the results' ``method_params`` column, the key that
tells variants of a method apart in the run plan, and what cached embeddings are matched on."""

from __future__ import annotations

import json
from typing import Any


def canonical_params(params: Any) -> str:
    """Parameters as sorted-key JSON (anything JSON cannot hold as its text)."""
    return json.dumps(params, sort_keys=True, default=str)


def parse_params(text: Any) -> Any:
    """``canonical_params`` read back; text that is not JSON stays as it is."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
