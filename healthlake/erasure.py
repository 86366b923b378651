"""What erasure (`healthlake forget`) removes from text, as pure functions over strings and lines.

The Spark side (jobs/maintenance/forget.py) finds a resident's rows by key and lineage; these
functions handle what has no columns: the landing zone's delivered files (the resident's lines are
blanked, so every other line keeps its number and the lineage `file:line` stays true) and derived
reports (Great Expectations results and Data Docs, logs), where identifiers are overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ERASED = "[erased]"
MIN_TOKEN_LENGTH = 6  # shorter values (a numeric HIS patient id) would match unrelated numbers


def token_pattern(identifiers: Iterable[str]) -> re.Pattern[str] | None:
    """Matches any of the identifiers as a whole token (not inside a longer number or code)."""
    tokens = sorted({i for i in identifiers if i and len(i) >= MIN_TOKEN_LENGTH}, key=len, reverse=True)
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])")


def blank_lines(
    text: str, line_numbers: set[int], pattern: re.Pattern[str] | None, header_lines: int = 1
) -> tuple[str, int]:
    """The text with the given lines (1-based) and every line matching `pattern` made empty; the
    header (the first `header_lines`) is kept unless listed. Returns the text and the lines blanked."""
    lines = text.split("\n")
    blanked = 0
    for index, line in enumerate(lines):
        number = index + 1
        if not line.strip():
            continue
        if number in line_numbers or (number > header_lines and pattern is not None and pattern.search(line)):
            lines[index] = "\r" if line.endswith("\r") else ""  # keep CRLF files CRLF
            blanked += 1
    return "\n".join(lines), blanked


def scrub(text: str, pattern: re.Pattern[str] | None, names: Iterable[str] = ()) -> tuple[str, int]:
    """A report's text with the identifiers, and the names where they stand as a whole quoted value,
    replaced by ERASED. Returns the text and the number of replacements."""
    count = 0
    if pattern is not None:
        text, count = pattern.subn(ERASED, text)
    for name in {n for n in names if n}:
        for quote in ('"', "'", "&#34;", "&quot;"):
            quoted = f"{quote}{name}{quote}"
            count += text.count(quoted)
            text = text.replace(quoted, f"{quote}{ERASED}{quote}")
    return text, count
