"""Nothing shaped like a secret is in the repository: keys, passwords, tokens and high-entropy
strings are found by detect-secrets in every file git tracks or would add."""

import secrets
import subprocess
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings

from healthlake.settings import REPO_ROOT


def _scan(root: Path, files: list[str]) -> dict:
    secrets = SecretsCollection(root=str(root))
    with default_settings():
        for name in files:
            secrets.scan_file(name)
    return secrets.json()


def test_no_file_in_the_repository_holds_a_secret():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    files = [name for name in listed if (REPO_ROOT / name).is_file()]
    assert len(files) > 100
    found = _scan(REPO_ROOT, files)
    assert found == {}, {name: [(s["type"], s["line_number"]) for s in hits] for name, hits in found.items()}


def test_the_scan_finds_a_planted_key_and_password(tmp_path):
    # Made at run time, so that no secret-shaped text sits in this file.
    planted = tmp_path / "settings_override.py"
    key_line = f'HEALTHLAKE_PSEUDONYM_KEY = "{secrets.token_hex(32)}"'
    login_line = "his_pass" + 'word = "' + "Sup3r" + 'S3cret!"'
    planted.write_text(f"{key_line}\n{login_line}\n")
    found = _scan(tmp_path, [planted.name])
    assert {s["type"] for s in found[planted.name]} == {"Hex High Entropy String", "Secret Keyword"}
