"""Plots reusable in a PDF: a Figure builder per plot and standalone SVG bytes."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from holdspace.outcomes import charts


@pytest.mark.django_db
def test_svg_bytes_for_a_pdf_draw_text_as_paths_with_no_external_reference() -> None:
    figure = charts.flow_figure([("Screened", 12), ("Eligible", 9)], "Flow")
    assert figure is not None
    svg = charts.svg_bytes(figure, "Flow").decode()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "<text" not in svg  # glyphs are paths: the PDF renderer needs no font
    assert "font-family" not in svg
    # No external reference (namespaces are names, not links).
    assert 'href="http' not in svg and "url(http" not in svg and "<image" not in svg
    # The page's inline SVG of the same plot keeps its text as text.
    assert "Screened: 12" in charts.flow([("Screened", 12), ("Eligible", 9)], "Flow")


def test_nothing_to_draw_gives_no_figure() -> None:
    assert charts.forest_figure([], "g") is None
    assert charts.stacked_figure([], ["a"], "%") is None
    assert charts.trajectories_figure({"estimates": []}, {}, "score") is None


def test_long_period_names_on_the_time_axis_do_not_run_into_each_other() -> None:
    periods = ["baseline", "during", "endpoint", "follow_up_6m", "follow_up_12m"]
    labels = {  # the Norwegian names, the longest we ship
        "baseline": "Baseline",
        "during": "Under forløpet",
        "endpoint": "Endepunkt",
        "follow_up_6m": "Oppfølging etter 6 måneder",
        "follow_up_12m": "Oppfølging etter 12 måneder",
    }
    model = {
        "periods": periods,
        "estimates": [
            {"group": "alle", "period": p, "mean": 50.0 - i, "ci95": [45.0 - i, 55.0 - i]}
            for i, p in enumerate(periods)
        ],
    }
    figure = charts.trajectories_figure(model, labels, "PCL-5")
    assert figure is not None
    canvas = FigureCanvasAgg(figure)  # measured as drawn
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in figure.axes[0].get_xticklabels()]
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, (left, right)
