"""Options that several sub-commands share."""

from __future__ import annotations

import argparse


def add_plugin_option(parser: argparse.ArgumentParser) -> None:
    """``--plugin FILE`` (repeatable): load methods, datasets and tasks from a user's Python file."""
    parser.add_argument("--plugin", action="append", default=[], metavar="FILE",
                        help="load methods, datasets or tasks from this Python file (repeatable)")
