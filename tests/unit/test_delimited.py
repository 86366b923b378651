from healthlake.schemas import source_format
from jobs.bronze.delimited import parse_delimited

FMT = source_format("exam_system")
HEADER = ",".join(c.header for c in FMT.columns)


def row(exam_id="TJ1", value="120"):
    return f"{exam_id},2026-01-02,H1,张三,男,1980-01-01,01,11010519491231002X,13800000000,TJ011,收缩压,{value},mmHg"


def encode(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("gbk")


def test_clean_file_keeps_values_as_delivered_with_line_numbers():
    parsed = parse_delimited(encode(HEADER, row("TJ1"), row("TJ2", " 130 ")), FMT)
    assert parsed.rejects == []
    assert parsed.line_numbers == [2, 3]
    assert parsed.rows[1][parsed.columns.index("result_value")] == " 130 "  # not trimmed: bronze is as delivered
    assert parsed.columns == [c.column for c in FMT.columns]
    assert len(set(parsed.record_hashes)) == 2


def test_broken_lines_and_bad_bytes_are_rejected_with_line_and_reason():
    data = encode(HEADER, row("TJ1"), "TJ2,2026-01-02,H1", row("TJ3")) + row("TJ4").encode("gbk") + b"\xff\xfe\n"
    parsed = parse_delimited(data, FMT)
    assert parsed.line_numbers == [2, 4]
    assert [(r.line_number, r.reason) for r in parsed.rejects] == [
        (3, "expected 13 fields, found 3"),
        (5, f"bytes not valid gbk at offset {len(row('TJ4').encode('gbk'))}"),
    ]


def test_unknown_columns_are_kept_and_reported_as_drift():
    parsed = parse_delimited(encode(HEADER + ",备注", row() + ",复查"), FMT)
    assert parsed.unknown_headers == ["备注"]
    assert parsed.columns[-1] == "备注"
    assert parsed.rows[0][-1] == "复查"


def test_missing_columns_are_reported():
    header = HEADER.replace(",联系电话", "")
    line = row().replace(",13800000000", "")
    parsed = parse_delimited(encode(header, line), FMT)
    assert parsed.missing_columns == ["phone"]
    assert len(parsed.rows) == 1


def test_quoted_fields_crlf_and_blank_lines():
    quoted = row().replace("张三", '"张,三"')
    parsed = parse_delimited((HEADER + "\r\n" + quoted + "\r\n\r\n").encode("gbk"), FMT)
    assert parsed.rejects == []
    assert parsed.rows[0][parsed.columns.index("name")] == "张,三"


def test_unreadable_header_rejects_every_line():
    parsed = parse_delimited(b"\xff\xfe\xfd\n" + encode(row()), FMT)
    assert parsed.rows == []
    assert [r.line_number for r in parsed.rejects] == [1, 2]
    assert "header line" in parsed.rejects[0].reason
