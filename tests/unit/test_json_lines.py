from healthlake.schemas import source_format
from jobs.bronze.json_lines import parse_json_lines

FMT = source_format("home_bp_devices")
GOOD = (
    '{"device_sn": "BPM1", "seq": 7, "id_no": "11010519491231002X", "measured_at": "2026-01-02T07:30:00+08:00", '
    '"sbp": 138, "dbp": 86, "pulse": 71, "unit": "mmHg", "uploaded_at": "2026-01-02T07:41:00+08:00"}'
)


def test_values_are_kept_as_delivered_text():
    parsed = parse_json_lines((GOOD + "\n").encode(), FMT)
    row = dict(zip(parsed.columns, parsed.rows[0], strict=True))
    assert row["reading_seq"] == "7" and row["sbp"] == "138" and row["device_sn"] == "BPM1"
    assert parsed.line_numbers == [1] and parsed.rejects == []


def test_bad_lines_are_rejected_with_line_and_reason():
    data = "\n".join([GOOD, GOOD[:40], "[1, 2]", "", GOOD]).encode() + b"\n\xff{}\n"
    parsed = parse_json_lines(data, FMT)
    assert parsed.line_numbers == [1, 5]
    reasons = [(r.line_number, r.reason.split(":")[0]) for r in parsed.rejects]
    assert reasons == [
        (2, "invalid JSON at column 41"),
        (3, "expected a JSON object, found list"),
        (6, "bytes not valid utf-8 at offset 0"),
    ]


def test_unknown_keys_are_kept_as_drift_and_missing_keys_are_null():
    record = '{"device_sn": "BPM2", "seq": 1, "battery": {"level": 80}}'
    parsed = parse_json_lines(record.encode(), FMT)
    assert parsed.unknown_headers == ["battery"]
    row = dict(zip(parsed.columns, parsed.rows[0], strict=True))
    assert row["battery"] == '{"level": 80}' and row["sbp"] is None


def test_scalars_keep_their_json_text():
    record = '{"device_sn": "BPM3", "seq": 12, "sbp": 18.6, "dbp": 1e2, "pulse": null, "unit": true}'
    parsed = parse_json_lines(record.encode(), FMT)
    row = dict(zip(parsed.columns, parsed.rows[0], strict=True))
    assert (row["reading_seq"], row["sbp"], row["dbp"], row["pulse"], row["unit"]) == (
        "12",
        "18.6",
        "100.0",
        None,
        "true",
    )
