"""Options that several sub-commands share."""

from __future__ import annotations

import argparse
from pathlib import Path


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


def missing_folder_message(text: str) -> str | None:
    """Why ``text`` cannot be used as an existing folder (``None`` when it can)."""
    path = Path(text).expanduser()
    if not path.exists():
        return f"folder {text} does not exist"
    if not path.is_dir():
        return f"{text} is not a folder"
    return None


def existing_folder(text: str) -> str:
    """argparse type: a folder that exists (``argument --data-dir: folder X does not exist`` otherwise)."""
    problem = missing_folder_message(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def jobs_count(text: str) -> int | str:
    """``--jobs``: ``auto`` (one per usable core, resolved by the runner) or a number."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of workers or auto, got {text!r}") from None
