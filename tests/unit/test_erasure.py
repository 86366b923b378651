"""The text side of erasure: which lines of a delivered file are blanked, what a report keeps."""

from __future__ import annotations

from healthlake.erasure import ERASED, blank_lines, scrub, token_pattern

ID_NUMBER = "430302200101093732"
HEADER = "exam_id,name,id_number,phone"


def test_the_residents_lines_are_blanked_and_every_other_line_keeps_its_number():
    text = "\n".join(
        [
            HEADER,
            f"TJ01,王小明,{ID_NUMBER},13723440620",
            "TJ02,李四,110101199003077777,13900000000",
            f"TJ03,王小明,{ID_NUMBER}X9,13723440621",  # a longer number that merely starts alike
            "TJ04,张三,,",
            f"TJ05,赵六,9{ID_NUMBER},1",  # ... or ends alike
            "",
        ]
    )
    new, blanked = blank_lines(text, {5}, token_pattern([ID_NUMBER]))
    lines = new.split("\n")
    assert blanked == 2
    assert lines == [HEADER, "", "TJ02,李四,110101199003077777,13900000000", lines[3], "", lines[5], ""]
    assert lines[3].startswith("TJ03") and lines[5].startswith("TJ05")  # not whole-token matches: kept


def test_the_header_stays_and_crlf_files_stay_crlf():
    text = f"{HEADER}\r\nTJ01,王小明,{ID_NUMBER},1\r\n"
    new, blanked = blank_lines(text, set(), token_pattern([ID_NUMBER]))
    assert blanked == 1 and new == f"{HEADER}\r\n\r\n"


def test_json_lines_have_no_header_to_keep():
    text = f'{{"id_no": "{ID_NUMBER}"}}\n{{"id_no": "1"}}\n'
    assert blank_lines(text, set(), token_pattern([ID_NUMBER]), header_lines=0) == ('\n{"id_no": "1"}\n', 1)


def test_short_values_never_become_patterns():
    """A numeric HIS patient id like 42 would match unrelated numbers everywhere."""
    assert token_pattern(["42", ""]) is None
    assert token_pattern(["42", "BPM00001854"]).pattern.count("|") == 0


def test_reports_lose_identifiers_and_quoted_names_but_not_other_text():
    report = f'{{"unexpected": ["{ID_NUMBER}", "王小明"], "note": "王小明华 passed", "count": 3}}'
    new, count = scrub(report, token_pattern([ID_NUMBER]), ["王小明"])
    assert count == 2
    assert ID_NUMBER not in new and f'"{ERASED}"' in new
    assert "王小明华 passed" in new  # another person's name that contains it is not touched
