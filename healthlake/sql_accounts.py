"""Accounts and roles of the SQL endpoint (`healthlake sql-account`).

Each account has one role; a role is the set of schemas it may read. The endpoint checks every
statement against it (healthlake/jvm/healthlake/sql/AccessControl.java) and checks passwords at
sign-in (Authenticator.java). Passwords are stored only as PBKDF2-SHA256 hashes, in a file under
`$HEALTHLAKE_HOME/secrets/` readable by the owner only, read again at each sign-in (an account added
or removed counts from the next connection on, without a restart).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from pathlib import Path

from healthlake.settings import ANALYST_LAYERS, RESTRICTED_LAYERS, Settings, SettingsError

# role -> the schemas it may read ("*": everything, and it may also write and change settings).
ROLES: dict[str, tuple[str, ...]] = {
    "engineer": ("*",),  # runs and repairs the pipeline; reads the restricted zone (audited)
    "analyst": ANALYST_LAYERS,  # pseudonymous silver, the gold marts and their quality
    "app": ("gold",),  # applications: the curated marts only
}
ITERATIONS = 210_000  # OWASP's figure for PBKDF2-HMAC-SHA256
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")


def accounts_file(settings: Settings) -> Path:
    return settings.home / "secrets" / "sql_accounts.properties"


def roles_property() -> str:
    """The roles as the endpoint's JVM reads them (system property healthlake.sql.roles)."""
    return ";".join(f"{role}={','.join(schemas)}" for role, schemas in ROLES.items())


def restricted_property() -> str:
    return ",".join(RESTRICTED_LAYERS)


def _hash(password: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)


def _entry(role: str, password: str) -> str:
    salt = secrets.token_bytes(16)
    encoded = [base64.b64encode(part).decode() for part in (salt, _hash(password, salt))]
    return f"{role}:pbkdf2-sha256:{ITERATIONS}:{encoded[0]}:{encoded[1]}"


def read(settings: Settings) -> dict[str, str]:
    """name -> stored entry (role:pbkdf2-sha256:iterations:salt:hash)."""
    path = accounts_file(settings)
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, entry = line.partition("=")
            entries[name.strip()] = entry.strip()
    return entries


def role_of(settings: Settings, name: str) -> str | None:
    entry = read(settings).get(name)
    return entry.split(":", 1)[0] if entry else None


def verify(settings: Settings, name: str, password: str) -> bool:
    """The same check the endpoint's JVM makes (kept here so it can be tested without one)."""
    entry = read(settings).get(name)
    if entry is None:
        return False
    _, scheme, iterations, salt, expected = entry.split(":")
    actual = _hash(password, base64.b64decode(salt), int(iterations))
    return scheme == "pbkdf2-sha256" and secrets.compare_digest(actual, base64.b64decode(expected))


def _write(settings: Settings, entries: dict[str, str]) -> None:
    path = accounts_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    text = "# healthlake SQL endpoint accounts: written by `healthlake sql-account`, do not edit\n"
    text += "".join(f"{name}={entry}\n" for name, entry in sorted(entries.items()))
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    temporary.replace(path)  # the server never reads half a file


def add(settings: Settings, name: str, role: str, password: str) -> None:
    """Create the account, or give an existing one a new role and password."""
    if not _NAME.match(name):
        raise SettingsError(f"account name {name!r}: 2-32 characters, lower-case letters, digits, . _ -")
    if role not in ROLES:
        raise SettingsError(f"role {role!r} does not exist; the roles are {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SettingsError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    entries = read(settings)
    entries[name] = _entry(role, password)
    _write(settings, entries)


def remove(settings: Settings, name: str) -> None:
    entries = read(settings)
    if name not in entries:
        raise SettingsError(f"there is no SQL account {name!r}")
    del entries[name]
    _write(settings, entries)
