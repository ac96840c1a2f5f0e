"""Band and cut-off labels on a trajectory chart never sit on top of each other."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from holdspace.measures import library
from holdspace.measures.charts import LABEL_GAP, build_plot


def test_phq9_cut_off_label_does_not_overlap_the_moderate_band():
    definition = library.shipped()["PHQ-9"]
    scores = [
        SimpleNamespace(observed_on=dt.date(2026, 1, 1), total=18),
        SimpleNamespace(observed_on=dt.date(2026, 3, 1), total=7),
    ]
    plot = build_plot(definition, scores, [])  # type: ignore[arg-type]
    heights = [y for y, _label in plot.band_lines]
    assert all(b - a >= LABEL_GAP for a, b in itertools.pairwise(heights))
    labels = " ".join(label for _y, label in plot.band_lines)
    assert "cut-off" in labels.lower()
    assert "moderate" in labels.lower()
