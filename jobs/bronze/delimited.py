"""Pure parsing of one delivered delimited file into records and rejects, line by line.

Bytes are split on LF before decoding: in GBK (as in UTF-8) the byte 0x0A never occurs inside a
multi-byte character, so one bad line cannot swallow its neighbours. Fields with embedded line
breaks are therefore not supported; the source formats in schemas/sources say so.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field

from healthlake.schemas import SourceFormat


@dataclass(frozen=True)
class Reject:
    line_number: int
    reason: str
    raw_text: str


@dataclass
class ParsedFile:
    columns: list[str]  # bronze column names, in file order (unknown headers kept as-is)
    unknown_headers: list[str]
    missing_columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    record_hashes: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def decode_line(raw: bytes, number: int, encoding: str) -> str | Reject:
    """The line as text, or the reject that names the first byte the encoding cannot read."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return Reject(
            number, f"bytes not valid {encoding} at offset {exc.start}", raw.decode(encoding, errors="replace")
        )


def _split(line: str, delimiter: str) -> list[str]:
    if '"' not in line:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter, strict=True))


def parse_delimited(data: bytes, fmt: SourceFormat) -> ParsedFile:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return ParsedFile(columns=[], unknown_headers=[], missing_columns=[c.column for c in fmt.columns])

    known = fmt.header_to_column
    try:
        header = _split(lines[0].rstrip(b"\r").decode(fmt.encoding).lstrip("\ufeff"), fmt.delimiter)
    except (UnicodeDecodeError, csv.Error) as exc:
        parsed = ParsedFile(columns=[], unknown_headers=[], missing_columns=[])
        reason = f"header line is not readable as {fmt.encoding} CSV ({exc}); the whole file is rejected"
        for number, raw in enumerate(lines, start=1):
            parsed.rejects.append(Reject(number, reason, raw.decode(fmt.encoding, errors="replace")))
        return parsed

    header = [h.strip() for h in header]
    parsed = ParsedFile(
        columns=[known.get(h, h) for h in header],
        unknown_headers=[h for h in header if h not in known],
        missing_columns=[c.column for c in fmt.columns if c.header not in header],
    )
    width = len(header)
    for number, raw in enumerate(lines[1:], start=2):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue  # a blank line carries no record
        text = decode_line(raw, number, fmt.encoding)
        if isinstance(text, Reject):
            parsed.rejects.append(text)
            continue
        try:
            values = _split(text, fmt.delimiter)
        except csv.Error as exc:
            parsed.rejects.append(Reject(number, f"malformed CSV quoting ({exc})", text))
            continue
        if len(values) != width:
            parsed.rejects.append(Reject(number, f"expected {width} fields, found {len(values)}", text))
            continue
        parsed.rows.append(values)
        parsed.line_numbers.append(number)
        parsed.record_hashes.append(hashlib.sha256(raw).hexdigest())
    return parsed
