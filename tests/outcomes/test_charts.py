"""Plots reusable in a PDF: a Figure builder per plot and standalone SVG bytes."""

from __future__ import annotations

import pytest

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
