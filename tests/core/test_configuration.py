"""Settings come from the environment; production refuses unsafe configuration.

These run `holdspace` in a child process, as an operator would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

STRONG_KEY = "k3y-" + "x7Q9mZ2pL5vB8nR4tY6wE1uI0oP3aS" * 2


def holdspace(
    *args: str, env: dict[str, str], tmp_path: Path, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "SECRET_KEY",
            "HOLDSPACE_ENV",
            "HOLDSPACE_DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in this process
        }
    }
    base["HOLDSPACE_VAR_DIR"] = str(tmp_path / "var")
    base.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}")
    if env.get("HOLDSPACE_ENV") == "production" and "AUDIT_KEY_FILE" not in env:
        key = tmp_path / "audit_key"
        key.write_text("a" * 64)
        env = {**env, "AUDIT_KEY_FILE": str(key)}
    return subprocess.run(  # noqa: S603  (our own console script, fixed arguments)
        [sys.executable, "-m", "holdspace", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


PRODUCTION = {
    "HOLDSPACE_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "holdspace.example.org",
}


def test_deploy_check_with_production_settings_reports_nothing(tmp_path):
    result = holdspace(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_the_audit_key(tmp_path):
    result = holdspace("check", env={**PRODUCTION, "AUDIT_KEY_FILE": ""}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "holdspace.E010" in result.stderr
    short = tmp_path / "short_key"
    short.write_text("too short")
    result = holdspace("check", env={**PRODUCTION, "AUDIT_KEY_FILE": str(short)}, tmp_path=tmp_path)
    assert "holdspace.E010" in result.stderr and "fewer than 32 bytes" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = holdspace("check", env={**PRODUCTION, "HOLDSPACE_DEBUG": "true"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "holdspace.E001" in result.stderr


def test_production_refuses_insecure_cookies(tmp_path):
    env = {**PRODUCTION, "SESSION_COOKIE_SECURE": "false"}
    result = holdspace("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "holdspace.E002" in result.stderr


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = holdspace("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "needs SECRET_KEY or SECRET_KEY_FILE" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_secret_key_file_is_read(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(STRONG_KEY + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = holdspace(
        "check", "--deploy", env={**env, "SECRET_KEY_FILE": str(key_file)}, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_a_malformed_database_url_is_named(tmp_path):
    result = holdspace("check", env={"DATABASE_URL": "mysqll://nowhere"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_a_bad_boolean_is_named(tmp_path):
    result = holdspace("check", env={"HOLDSPACE_DEBUG": "perhaps"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "HOLDSPACE_DEBUG must be true or false" in result.stderr


def test_local_use_generates_a_private_secret_and_a_wal_database(tmp_path):
    result = holdspace(
        "migrate", "--no-input", env={"HOLDSPACE_ENV": "development"}, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    key = tmp_path / "var" / "secret_key"
    assert key.exists() and oct(key.stat().st_mode)[-3:] == "600"
    with sqlite3.connect(tmp_path / "var" / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_demo_refuses_to_run_in_production(tmp_path):
    result = holdspace("demo", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "refuses to run with HOLDSPACE_ENV=production" in result.stderr


@pytest.mark.parametrize("command", ["serve", "demo", "audit", "apitoken"])
def test_commands_explain_themselves(tmp_path, command):
    result = holdspace(command, "--help", env={}, tmp_path=tmp_path)
    assert result.returncode == 0
    assert "usage" in result.stdout.lower()
