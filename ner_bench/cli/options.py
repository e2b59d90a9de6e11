"""Options that several sub-commands share."""

from __future__ import annotations

import argparse


def add_plugin_option(parser: argparse.ArgumentParser) -> None:
    """``--plugin FILE`` (repeatable): load methods, datasets and tasks from a user's Python file."""
    parser.add_argument("--plugin", action="append", default=[], metavar="FILE",
                        help="load methods, datasets or tasks from this Python file (repeatable)")


def comma_list(text: str) -> list[str]:
    """``"M1,PMd"`` -> ``["M1", "PMd"]`` (blanks dropped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def add_recording_filters(parser: argparse.ArgumentParser) -> None:
    """``--subjects``, ``--sessions``, ``--areas``: which of the dataset's recordings to keep."""
    parser.add_argument("--subjects", type=comma_list, default=[], help="keep these subjects only, e.g. Chewie,Han")
    parser.add_argument("--sessions", type=comma_list, default=[], help="keep these session dates or ids only")
    parser.add_argument("--areas", type=comma_list, default=[], help="keep these areas only, e.g. M1,PMd")
