"""SQL endpoint accounts: hashed passwords, known roles, a file only its owner reads."""

from __future__ import annotations

import stat
from dataclasses import replace

import pytest

from healthlake import sql_accounts
from healthlake.settings import SettingsError, get_settings


@pytest.fixture
def settings(tmp_path):
    return replace(get_settings(), home=tmp_path)


def test_an_account_signs_in_with_its_password_only(settings):
    sql_accounts.add(settings, "ana", "analyst", "correct horse battery")
    assert sql_accounts.verify(settings, "ana", "correct horse battery")
    assert not sql_accounts.verify(settings, "ana", "correct horse batterY")
    assert not sql_accounts.verify(settings, "bob", "correct horse battery")
    assert sql_accounts.role_of(settings, "ana") == "analyst"
    stored = sql_accounts.accounts_file(settings).read_text()
    assert "correct horse" not in stored and "ana=analyst:pbkdf2-sha256:210000:" in stored
    assert stat.S_IMODE(sql_accounts.accounts_file(settings).stat().st_mode) == 0o600


def test_a_new_password_replaces_the_old_and_remove_ends_the_account(settings):
    sql_accounts.add(settings, "eng", "engineer", "first password 1")
    sql_accounts.add(settings, "eng", "app", "second password 2")
    assert not sql_accounts.verify(settings, "eng", "first password 1")
    assert sql_accounts.role_of(settings, "eng") == "app"
    sql_accounts.remove(settings, "eng")
    assert sql_accounts.read(settings) == {}
    with pytest.raises(SettingsError, match="there is no SQL account 'eng'"):
        sql_accounts.remove(settings, "eng")


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("ana", "admin", "long enough password", "role 'admin' does not exist"),
        ("ana", "analyst", "short", "at least 12 characters"),
        ("Ana Smith", "analyst", "long enough password", "account name 'Ana Smith'"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(settings, name, role, password, message):
    with pytest.raises(SettingsError, match=message):
        sql_accounts.add(settings, name, role, password)


def test_roles_reach_the_jvm_as_the_schemas_each_may_read():
    roles = dict(entry.split("=") for entry in sql_accounts.roles_property().split(";"))
    assert roles == {"engineer": "*", "analyst": "silver,gold,quality", "app": "gold"}
    assert set(sql_accounts.restricted_property().split(",")) == {"bronze", "quarantine", "restricted", "audit"}
