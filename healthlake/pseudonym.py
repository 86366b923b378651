"""Keyed pseudonyms (HMAC-SHA256) computed inside Spark with built-in functions only.

HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m)), with K' the key padded to the 64-byte
SHA-256 block (hashed first if longer). The padded keys are constants, so the whole construction
is two `sha2` calls per row: no Python UDF on the hot path. `hmac_hex` is the reference the tests
hold it to.
"""

from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import Column
from pyspark.sql import functions as F

_BLOCK = 64


def _padded_keys(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def hmac_column(key: bytes, message: Column) -> Column:
    """Hex HMAC-SHA256 of a string column (UTF-8), equal to `hmac_hex`; null in, null out."""
    inner_pad, outer_pad = _padded_keys(key)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message.cast("binary")), 256))
    return F.sha2(F.concat(F.lit(outer_pad), inner), 256)
