"""GB 11643-1999 resident ID numbers: 6-digit division + YYYYMMDD + 3-digit sequence + check character."""

from __future__ import annotations

import numpy as np

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by (sum of digit x weight) mod 11


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def is_valid(id_number: str) -> bool:
    """True for a well-formed 18-character number whose check character matches (x == X)."""
    value = id_number.strip().upper()
    return len(value) == 18 and value[:17].isdigit() and check_char(value[:17]) == value[17]


def upgrade_15_to_18(legacy: str) -> str:
    """GB 11643-1989 numbers: insert the century 19 before YYMMDD and append the check character."""
    if len(legacy) != 15 or not legacy.isdigit():
        raise ValueError(f"expected a 15-digit number, got {legacy!r}")
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + check_char(first17)


def check_chars_vectorised(first17: np.ndarray) -> np.ndarray:
    """Check characters for an array of 17-digit strings (the generator makes millions)."""
    digits = np.frombuffer(np.asarray(first17, dtype="S17").tobytes(), dtype=np.uint8).reshape(-1, 17) - 48
    remainders = (digits.astype(np.int64) @ np.array(WEIGHTS, dtype=np.int64)) % 11
    return np.array(list(CHECK_CHARS))[remainders]
