"""Text for the board's page: any value as escaped HTML (the page and its sections share it)."""

from __future__ import annotations

import html


def escaped(value: object) -> str:
    """``str(value)`` with ``&``, ``<``, ``>`` and both quotes escaped, safe in text and attributes."""
    return html.escape(str(value), quote=True)
