"""JSON lines built column-wise: json.dumps per record is the generator's slowest path at 1M residents."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def quoted(values: pd.Series) -> pd.Series:
    """Values as JSON strings (also for a `raw` column that mixes strings and numbers)."""
    text = values.astype(str)
    escape = text.str.contains(_NEEDS_ESCAPE, regex=True)
    as_json = '"' + text + '"'
    if escape.any():
        as_json[escape] = text[escape].map(lambda v: json.dumps(v, ensure_ascii=False))
    return as_json


def json_lines(
    frame: pd.DataFrame, strings: list[str], numbers: list[str], booleans: list[str] = (), raw: list[str] = ()
) -> pd.Series:
    """One JSON object per row (json.dumps's spacing), keys in the order of `frame`'s columns.

    A null (NaN, None) omits the key, as the source systems do for fields a form does not have.
    `raw` columns already hold JSON text (a code sent as a number by one centre, as text by another).
    """
    kinds = {
        **dict.fromkeys(strings, "s"),
        **dict.fromkeys(numbers, "n"),
        **dict.fromkeys(booleans, "b"),
        **dict.fromkeys(raw, "n"),  # numbers and JSON text are both written as they are
    }
    line = pd.Series("{", index=frame.index, dtype=object)
    for column in frame.columns:
        kind = kinds.get(column)
        if kind is None:
            continue
        values = frame[column]
        present = values.notna()
        if kind == "b":
            rendered = np.where(values.astype(bool), "true", "false")
        elif kind == "n":
            rendered = values.astype(str)
        else:
            rendered = quoted(values)
        fragment = f'"{column}": ' + pd.Series(rendered, index=frame.index).astype(str) + ", "
        line = line + fragment.where(present, "")
    return line.str[:-2] + "}"
