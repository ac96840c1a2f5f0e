"""The clinical content register: every rule, threshold and instrument of `data/` with its
source, review date and confirmation status.

Deliberately tolerant: the data files differ in shape (and are being reworked), so this walks
any YAML and reports what it finds rather than validating it (start-up already validates).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Lists summarised by their length, not listed item by item.
SUMMARISED = {"items", "options", "medications", "classes", "notes", "sources", "bands"}
NAMED = ("id", "key", "flag", "reason_code", "item", "label")
VALUES = ("outcome", "default", "at_least", "at_most", "meaningful", "severity", "value", "unit")


@dataclass
class Entry:
    file: str
    item: str
    value: str
    source: str
    reviewed: str
    status: str


def _source_text(raw: Any, known: dict[str, str]) -> str:
    if isinstance(raw, dict):
        return str(raw.get("citation") or raw.get("url") or raw)
    if isinstance(raw, list):
        return "; ".join(_source_text(part, known) for part in raw)
    if raw is None:
        return ""
    return known.get(str(raw), str(raw))


def _status(unconfirmed: bool, source: str) -> str:
    if not source or source == "none":
        return "NO SOURCE"
    return "UNCONFIRMED: medical lead to confirm" if unconfirmed else "as cited"


def entries_of(path: Path, base: Path) -> list[Entry]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return [Entry(str(path.relative_to(base)), "(file)", "", "", "", f"UNREADABLE: {error}")]
    if not isinstance(doc, dict):
        return []
    name = str(path.relative_to(base))
    known = {
        str(s["id"]): _source_text(s, {})
        for s in doc.get("sources") or []
        if isinstance(s, dict) and "id" in s
    }
    file_source = _source_text(doc.get("source") or doc.get("citation"), known) or "; ".join(
        known.values()
    )
    if not file_source and isinstance(doc.get("sources"), list):
        file_source = _source_text(doc["sources"], known)
    file_reviewed = str(doc.get("last_reviewed") or doc.get("reviewed") or "")
    title = doc.get("title") or doc.get("name") or doc.get("code") or doc.get("key") or name
    out = [
        Entry(
            name,
            f"{title}" + (f" (version {doc['version']})" if doc.get("version") else ""),
            f"licence: {doc.get('licence', 'not stated')}",
            file_source,
            file_reviewed or "not recorded",
            _status(bool(doc.get("unconfirmed")), file_source) if file_source else "see entries",
        )
    ]

    def walk(node: Any, where: str, source: str, unconfirmed: bool, reviewed: str) -> None:
        if isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}[{index}]", source, unconfirmed, reviewed)
            return
        if not isinstance(node, dict):
            return
        own = _source_text(node.get("source") or node.get("sources"), known)
        source = own if own and own != "none" else source
        unconfirmed = unconfirmed or bool(node.get("unconfirmed"))
        reviewed = str(node.get("last_reviewed") or reviewed)
        label = next((str(node[k]) for k in NAMED if k in node), "")
        values = [f"{k}={node[k]}" for k in VALUES if k in node and node[k] is not None]
        if label and values:
            out.append(Entry(name, f"{where} {label}".strip(), ", ".join(values), source,
                             reviewed or "not recorded", _status(unconfirmed, source)))  # fmt: skip
        for key, value in node.items():
            if key in SUMMARISED:
                continue
            if isinstance(value, bool) or key.endswith(("_unconfirmed", "_source")):
                continue
            if isinstance(value, int | float) and not label:
                # `after_alert_minutes` is qualified by `after_alert_unconfirmed` / `_source`.
                stems = (key, key.rsplit("_", 1)[0])
                flagged = unconfirmed or any(node.get(f"{s}_unconfirmed") for s in stems)
                raw = next((node[f"{s}_source"] for s in stems if f"{s}_source" in node), None)
                this = source if raw is None else _source_text(raw, known)
                out.append(Entry(name, f"{where}.{key}".lstrip("."), str(value), this,
                                 reviewed or "not recorded", _status(flagged, this)))  # fmt: skip
            elif isinstance(value, dict | list):
                walk(value, f"{where}.{key}".lstrip("."), source, unconfirmed, reviewed)

    walk(
        {k: v for k, v in doc.items() if k not in ("source", "sources")},
        "",
        file_source,
        False,
        file_reviewed,
    )
    return out


def register(data_dir: Path) -> list[Entry]:
    rows: list[Entry] = []
    for path in sorted(data_dir.rglob("*.yaml")):
        rows += entries_of(path, data_dir)
    return rows


def to_markdown(rows: list[Entry]) -> str:
    unconfirmed = sum(1 for r in rows if r.status.startswith("UNCONFIRMED"))
    unsourced = sum(1 for r in rows if r.status == "NO SOURCE")
    out = [
        "# Clinical content register",
        "",
        "Generated from `src/holdspace/data/` by `make content-register`; do not edit.",
        f"{len(rows)} entries; {unconfirmed} UNCONFIRMED (a medical lead signs them off before",
        f"clinical use); {unsourced} with no source. 'not recorded': no review date in the file.",
    ]
    current = ""
    for row in rows:
        if row.file != current:
            current = row.file
            out += ["", f"## {row.file}", "", "| item | value | source | reviewed | status |"]
            out.append("| --- | --- | --- | --- | --- |")
        cells = [row.item, row.value, row.source, row.reviewed, row.status]
        out.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    return "\n".join(out) + "\n"
