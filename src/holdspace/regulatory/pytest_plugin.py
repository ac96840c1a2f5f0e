"""Writes each test's requirement IDs into the JUnit XML (`<property name="requirement">`).

Tests say what they verify with `@pytest.mark.requirement("REQ-...")`; `make trace` reads the
JUnit files of the SQLite and PostgreSQL runs and builds the traceability matrix from them.
"""

from __future__ import annotations

import pytest


def requirement_ids(item: pytest.Item) -> list[str]:
    return [str(arg) for marker in item.iter_markers("requirement") for arg in marker.args]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.extend(("requirement", rid) for rid in requirement_ids(item))
