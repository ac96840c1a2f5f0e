"""Regulatory evidence generated from the repository, so that it stays true.

Data files live in `regulatory/` at the repository root; this package checks them against the
code (module map, requirements and trace, SOUP list, data categories) and renders the
documents into `var/regulatory/`. It claims no CE marking and no compliance: it supplies
evidence for the clinic or sponsor that becomes the manufacturer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/holdspace
REPO_DIR = Path(os.environ.get("HOLDSPACE_REPO_DIR", PACKAGE_DIR.parents[1]))
REGULATORY_DIR = REPO_DIR / "regulatory"


def out_dir() -> Path:
    """Where generated documents go (`var/regulatory`, beside the other local state)."""
    var = Path(os.environ.get("HOLDSPACE_VAR_DIR", REPO_DIR / "var"))
    path = var / "regulatory"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load(name: str, directory: Path | None = None) -> Any:
    """One YAML data file of `regulatory/` (safe_load: data, never code)."""
    with open((directory or REGULATORY_DIR) / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)
