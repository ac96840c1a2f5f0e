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


def parse_upload(text: str, arm_keys: set[str]) -> list[Line]:
    """An uploaded list: CSV with the header `stratum,block,arm`, in allocation order."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"stratum", "block", "arm"} - set(reader.fieldnames):
        raise ValueError("The list needs the columns stratum, block and arm.")
    lines: list[Line] = []
    positions: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        stratum, arm = (row["stratum"] or "").strip(), (row["arm"] or "").strip()
        if not stratum or arm not in arm_keys:
            raise ValueError(f"Line {number}: unknown arm or empty stratum.")
        try:
            block = int(row["block"])
        except (TypeError, ValueError):
            raise ValueError(f"Line {number}: the block is not a number.") from None
        positions[stratum] = positions.get(stratum, 0) + 1
        lines.append(Line(stratum, positions[stratum], block, arm))
    if not lines:
        raise ValueError("The list is empty.")
    return lines
