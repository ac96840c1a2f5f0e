"""Scoring an instrument from its definition. Pure functions: no Django, no database.

Every rule comes from the definition file (which cites its source); nothing clinical is written
here. Answers are keyed by linkId ("1", "2", ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .definitions import Definition, Item, SafetyRule


class AnswerError(ValueError):
    """An answer that does not fit the item: names the item."""

    def __init__(self, link_id: str, message: str) -> None:
        super().__init__(f"item {link_id}: {message}")
        self.link_id = link_id
        self.message = message


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    total: float | None
    raw: float | None
    subscales: dict[str, float] = field(default_factory=dict)
    band: str | None = None
    flags: list[str] = field(default_factory=list)
    safety: list[SafetyRule] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    points: float  # total minus baseline
    improved: bool
    reliable: bool
    meaningful: bool


def _as_number(item: Item, value: object) -> float:
    if item.type == "yes-no":
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, int | float) and value in (0, 1):
            return float(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
            return 1.0 if value.strip().lower() in {"true", "1"} else 0.0
        raise AnswerError(item.link_id, "answer yes or no (true/false, 1/0)")
    if isinstance(value, bool):
        raise AnswerError(item.link_id, "a number is needed, not yes/no")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise AnswerError(item.link_id, "a number is needed") from None
    else:
        raise AnswerError(item.link_id, "a number is needed")
    if number != number:  # NaN
        raise AnswerError(item.link_id, "a number is needed")
    low, high = item.allowed_range()
    if item.type == "choice":
        if number not in {option.value for option in item.options}:
            allowed = ", ".join(f"{o.value:g}" for o in item.options)
            raise AnswerError(item.link_id, f"not one of the allowed answers ({allowed})")
    elif not low <= number <= high:
        raise AnswerError(item.link_id, f"out of range ({low:g} to {high:g})")
    return number


def clean_answers(
    definition: Definition, answers: Mapping[str, object], *, partial: bool = True
) -> dict[str, float]:
    """Check every answer against its item. Empty answers are dropped (a partial form)."""
    cleaned: dict[str, float] = {}
    for link_id, value in answers.items():
        item = definition.item(str(link_id))
        if item is None:
            raise AnswerError(str(link_id), "no such item in this instrument")
        if value is None or value == "":
            continue
        cleaned[item.link_id] = _as_number(item, value)
    if not partial:
        missing = missing_required(definition, cleaned)
        if missing:
            raise AnswerError(missing[0], "an answer is required")
    return cleaned


def missing_required(definition: Definition, answers: Mapping[str, object]) -> list[str]:
    return [
        item.link_id
        for item in definition.items
        if item.required and answers.get(item.link_id) in (None, "")
    ]


def _item_score(item: Item, value: float) -> float:
    if item.reverse:
        low, high = item.allowed_range()
        return low + high - value
    return value


def _aggregate(values: list[float], method: str) -> float | None:
    if not values:
        return None
    return sum(values) if method == "sum" else sum(values) / len(values)


def _band(definition: Definition, total: float | None, raw: float | None) -> str | None:
    for band in definition.bands:
        value = total if band.on == "total" else raw
        if value is not None and band.minimum <= value <= band.maximum:
            return band.label
    return None


def _finish(
    definition: Definition,
    *,
    total: float | None,
    raw: float | None,
    subscales: dict[str, float],
    sex: str | None,
    safety: list[SafetyRule],
    extra_flags: list[str],
) -> ScoreResult:
    flags = list(extra_flags)
    cut_off_label = None
    for cut_off in definition.cut_offs:
        value = total if cut_off.on == "total" else raw
        if value is None:
            continue
        if cut_off.sex is not None and sex is None:
            if "sex-needed-for-cut-off" not in flags:
                flags.append("sex-needed-for-cut-off")
            continue
        if cut_off.sex is not None and cut_off.sex != sex:
            continue
        hit = (cut_off.at_least is None or value >= cut_off.at_least) and (
            cut_off.below is None or value < cut_off.below
        )
        if hit:
            flags.append(cut_off.flag)
            cut_off_label = cut_off_label or cut_off.label
    flags.extend(rule.reason_code for rule in safety)
    band = _band(definition, total, raw) if definition.bands else cut_off_label
    return ScoreResult(
        instrument=definition.code,
        version=definition.version,
        total=_round(total),
        raw=_round(raw),
        subscales={name: round(value, 2) for name, value in subscales.items()},
        band=band,
        flags=flags,
        safety=safety,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def score(
    definition: Definition, answers: Mapping[str, object], *, sex: str | None = None
) -> ScoreResult:
    """Score a complete response. Raises AnswerError naming the first wrong or missing item."""
    if definition.score_entry_only:
        raise AnswerError("total", "this instrument takes a clinician-entered total")
    cleaned = clean_answers(definition, answers, partial=False)
    scored = {
        item.link_id: _item_score(item, cleaned[item.link_id])
        for item in definition.items
        if item.scored and item.link_id in cleaned
    }
    raw = None
    if definition.scoring.method != "none":
        raw = _aggregate(list(scored.values()), definition.scoring.method)
    total = raw * definition.scoring.multiplier if raw is not None else None

    subscales: dict[str, float] = {}
    percents: dict[str, float] = {}
    for subscale in definition.scoring.subscales:
        values = [scored[i] for i in subscale.items if i in scored]
        value = _aggregate(values, subscale.method)
        if value is None:
            continue
        subscales[subscale.name] = value
        if definition.scoring.percent_of_maximum:
            items = [definition.item(i) for i in subscale.items]
            ranges = [item.allowed_range() for item in items if item is not None]
            low = _aggregate([r[0] for r in ranges], subscale.method) or 0.0
            high = _aggregate([r[1] for r in ranges], subscale.method) or 0.0
            if high > low:
                percents[subscale.name] = (value - low) / (high - low) * 100
    flags: list[str] = []
    complete = bool(percents) and len(percents) == len(definition.scoring.subscales)
    for subscale_rule in definition.subscale_rules:
        limit = subscale_rule.all_subscales_percent_at_least
        if complete and all(p >= limit for p in percents.values()):
            flags.append(subscale_rule.flag)
    subscales.update({f"{name} %": value for name, value in percents.items()})
    for item_rule in definition.item_rules:
        if any(cleaned.get(i, float("-inf")) >= item_rule.at_least for i in item_rule.items):
            flags.append(item_rule.flag)
    members = {subscale.name: subscale.items for subscale in definition.scoring.subscales}
    for count_rule in definition.count_rules:
        if all(
            sum(
                1
                for i in members[name]
                if cleaned.get(i, float("-inf")) >= count_rule.item_at_least
            )
            >= minimum
            for name, minimum in count_rule.minimum_per_subscale.items()
        ):
            flags.append(count_rule.flag)

    # Per item, only the highest threshold reached counts (C-SSRS "high" is not also "moderate").
    reached: dict[str, SafetyRule] = {}
    for rule in definition.safety:
        if rule.item not in cleaned or cleaned[rule.item] < rule.at_least:
            continue
        if rule.item not in reached or rule.at_least > reached[rule.item].at_least:
            reached[rule.item] = rule
    safety = list(reached.values())
    return _finish(
        definition,
        total=total,
        raw=raw,
        subscales=subscales,
        sex=sex,
        safety=safety,
        extra_flags=flags,
    )


def score_from_total(
    definition: Definition, total: object, *, sex: str | None = None
) -> ScoreResult:
    """A clinician-entered total (BDI-II, CAPS-5, SDS global): range-checked and banded."""
    if definition.total_range is None:
        raise AnswerError("total", "this instrument is scored from its items")
    if isinstance(total, bool) or not isinstance(total, int | float | str):
        raise AnswerError("total", "a number is needed")
    try:
        value = float(total)
    except ValueError:
        raise AnswerError("total", "a number is needed") from None
    low, high = definition.total_range
    if not low <= value <= high:
        raise AnswerError("total", f"out of range ({low:g} to {high:g})")
    return _finish(
        definition, total=value, raw=value, subscales={}, sex=sex, safety=[], extra_flags=[]
    )


def change_since(definition: Definition, *, baseline: float, total: float) -> Change | None:
    """Change against the baseline by the instrument's published rule (None: no rule)."""
    rule = definition.change
    if rule is None:
        return None
    points = total - baseline
    gain = -points if rule.better == "lower" else points
    return Change(
        points=round(points, 2),
        improved=gain > 0,
        reliable=rule.reliable is not None and abs(points) >= rule.reliable,
        meaningful=rule.meaningful is not None and gain >= rule.meaningful,
    )


def score_bounds(definition: Definition) -> tuple[float, float] | None:
    """The range a total can take, from the items (for plots and property tests)."""
    if definition.total_range is not None:
        return definition.total_range
    if definition.scoring.method == "none":
        return None
    items = [item for item in definition.items if item.scored]
    ranges = [item.allowed_range() for item in items]
    if definition.scoring.method == "sum":
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    else:
        low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    return low * definition.scoring.multiplier, high * definition.scoring.multiplier
