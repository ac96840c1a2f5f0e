"""The module map (`regulatory/modules.yaml`) against the packages that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REQUIRED = ("kind", "device", "purpose", "users", "exclusions")


def packages(package_dir: Path) -> set[str]:
    """Every Python package directly under src/holdspace (apps and plain packages)."""
    return {p.parent.name for p in package_dir.glob("*/__init__.py")}


def check(modules_file: dict[str, Any], package_dir: Path) -> list[str]:
    """Problems, empty when every package is listed with a purpose and a device decision."""
    listed: dict[str, Any] = modules_file.get("modules") or {}
    errors = [
        f"{name}: not listed in regulatory/modules.yaml"
        for name in sorted(packages(package_dir) - set(listed))
    ]
    errors += [
        f"{name}: listed but no such package"
        for name in sorted(set(listed) - packages(package_dir))
    ]
    for name, entry in sorted(listed.items()):
        missing = [key for key in REQUIRED if key not in (entry or {})]
        if missing:
            errors.append(f"{name}: missing {', '.join(missing)}")
            continue
        if not isinstance(entry["device"], bool):
            errors.append(f"{name}: device must be true or false")
        if entry["device"] and not entry.get("device_functions"):
            errors.append(f"{name}: a device module names its device_functions")
        if entry["device"] and not entry.get("grounds"):
            errors.append(f"{name}: a device module gives the grounds of its classification")
    return errors
