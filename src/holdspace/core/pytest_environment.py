"""Loaded by pytest before Django (`-p` in pyproject.toml): a bare `pytest` runs with the
settings `make test` gives it (HOLDSPACE_ENV=test: tasks run at once, among others), so a
test run by hand does not fail where `make test` passes."""

from __future__ import annotations

import os

os.environ.setdefault("HOLDSPACE_ENV", "test")
