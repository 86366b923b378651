"""Pure parsing of one delivered JSON-lines file (one object a line) into records and rejects.

Values are kept as delivered: strings as they are, other JSON values as their JSON text (a
number 135 becomes "135", a nested object its JSON). Keys the source format does not know are kept
as extra columns and reported as schema drift.
"""

from __future__ import annotations

import hashlib
import json
import math

from healthlake.schemas import SourceFormat
from jobs.bronze.delimited import ParsedFile, Reject, decode_line


def _as_delivered(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)  # the text json.dumps would give, at a fraction of its cost on the hot path
    return json.dumps(value, ensure_ascii=False)


def parse_json_lines(data: bytes, fmt: SourceFormat) -> ParsedFile:
    known = fmt.header_to_column
    records: list[tuple[int, bytes, dict]] = []
    rejects: list[Reject] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        text = decode_line(raw, number, fmt.encoding)
        if isinstance(text, Reject):
            rejects.append(text)
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            rejects.append(Reject(number, f"invalid JSON at column {exc.colno}: {exc.msg}", text))
            continue
        if not isinstance(record, dict):
            rejects.append(Reject(number, f"expected a JSON object, found {type(record).__name__}", text))
            continue
        records.append((number, raw, record))

    unknown = sorted({key for _, _, record in records for key in record if key not in known})
    columns = [c.column for c in fmt.columns] + unknown
    keys = [c.header for c in fmt.columns] + unknown
    parsed = ParsedFile(columns=columns, unknown_headers=unknown, missing_columns=[], rejects=rejects)
    for number, raw, record in records:
        parsed.rows.append([_as_delivered(record.get(key)) for key in keys])
        parsed.line_numbers.append(number)
        parsed.record_hashes.append(hashlib.sha256(raw).hexdigest())
    return parsed
