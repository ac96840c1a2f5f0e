"""The concealed allocation list: stratified permuted blocks, reproducible from a seed.

How a list is made (documented so that a statistician can regenerate and check it):

- Each stratum has its own generator, Python's `random.Random` seeded with the text
  `"<seed>|<stratum>"` (string seeds are hashed with SHA-512 by Python, version 2 seeding,
  stable across Python 3 releases).
- For each block, the generator picks a size from the study's block sizes
  (`rng.choice(block_sizes)`), fills it with each arm `size * ratio / sum(ratios)` times, in
  the order the arms were defined, and shuffles it (`rng.shuffle`).
- Blocks are appended until the stratum has at least `per_stratum` positions; the last block is
  kept whole, so every complete block is balanced.

Concealment does not rest on the generator: the seed and the list are kept in the database and
shown to no one through the pages or the API; one allocation is revealed when a client is
randomised (services.randomise), and that reveal is audited.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError


@dataclass(frozen=True)
class Line:
    stratum: str
    position: int
    block: int
    arm: str


def check_design(arms: list[tuple[str, int]], block_sizes: list[int]) -> list[str]:
    """Reasons the design cannot make balanced blocks (empty when it can)."""
    problems = []
    if len(arms) < 2:
        problems.append("A study needs at least two arms.")
    if any(ratio < 1 for _key, ratio in arms):
        problems.append("Every arm's ratio must be at least 1.")
    total = sum(ratio for _key, ratio in arms) or 1
    if not block_sizes:
        problems.append("Give at least one block size.")
    for size in block_sizes:
        if size < total or size % total:
            problems.append(f"Block size {size} is not a multiple of the ratio total {total}.")
    return problems


def generate(
    *,
    seed: str,
    arms: list[tuple[str, int]],
    strata: list[str],
    block_sizes: list[int],
    per_stratum: int,
) -> list[Line]:
    problems = check_design(arms, block_sizes)
    if problems:
        raise ValueError(" ".join(problems))
    total = sum(ratio for _key, ratio in arms)
    lines: list[Line] = []
    for stratum in strata:
        rng = random.Random(f"{seed}|{stratum}")  # noqa: S311  (reproducible list; see above)
        position = block = 0
        while position < per_stratum:
            block += 1
            size = rng.choice(block_sizes)
            contents = [key for key, ratio in arms for _ in range(size * ratio // total)]
            rng.shuffle(contents)
            for arm in contents:
                position += 1
                lines.append(Line(stratum, position, block, arm))
    return lines


# An uploaded list is bounded: a trial's list is hundreds of lines, never megabytes.
MAX_UPLOAD_LINES = 20_000


class UploadRow(BaseModel):
    """One line of an uploaded list, typed and bounded; the arm is checked against the study."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    stratum: str = Field(min_length=1, max_length=120)
    block: int = Field(ge=1, le=1_000_000)
    arm: str = Field(min_length=1, max_length=40)


class UploadError(ValueError):
    """A refused upload, naming the line and column when one line is at fault."""

    def __init__(self, message: str, *, line: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.line, self.column = line, column


def parse_upload(text: str, arm_keys: set[str]) -> list[Line]:
    """An uploaded list: CSV with the header `stratum,block,arm`, in allocation order.
    The first bad line refuses the whole file (nothing is stored)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"stratum", "block", "arm"} - set(reader.fieldnames):
        raise UploadError("The list needs the columns stratum, block and arm.", column="columns")
    lines: list[Line] = []
    positions: dict[str, int] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if len(lines) >= MAX_UPLOAD_LINES:
                raise UploadError(
                    f"The list has more than {MAX_UPLOAD_LINES} lines.", column="too_long"
                )
            try:
                row = UploadRow.model_validate(
                    {key: raw.get(key) or "" for key in ("stratum", "block", "arm")}
                )
            except ValidationError as error:
                first = error.errors()[0]
                column = str(first["loc"][0]) if first["loc"] else ""
                raise UploadError(
                    f"Line {number}, column {column}: {first['msg']}.", line=number, column=column
                ) from None
            if row.arm not in arm_keys:
                raise UploadError(
                    f"Line {number}, column arm: unknown arm {row.arm!r} "
                    f"(the study's arms are {', '.join(sorted(arm_keys))}).",
                    line=number,
                    column="arm",
                )
            positions[row.stratum] = positions.get(row.stratum, 0) + 1
            lines.append(Line(row.stratum, positions[row.stratum], row.block, row.arm))
    except csv.Error as error:
        raise UploadError(f"The file is not readable CSV: {error}.") from None
    if not lines:
        raise UploadError("The list is empty.", column="empty")
    return lines
