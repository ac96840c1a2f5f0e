"""The user guide's screenshots (docs/guide/img), taken from the demo clinic so they stay
current: `HOLDSPACE_GUIDE_SHOTS=1 make test-sqlite PYTEST_ARGS="tests/browser/test_guide_shots.py"`.

Skipped otherwise: the axe walk in test_themes.py opens the same pages on every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from holdspace.courses.models import Course

from .test_themes import _context, _demo_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("HOLDSPACE_GUIDE_SHOTS") != "1",
        reason="the guide's screenshots are taken when HOLDSPACE_GUIDE_SHOTS=1",
    ),
]

GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"
# Small enough to keep in the repository: the top of each page at a laptop's width.
VIEWPORT = {"width": 1100, "height": 760}


def test_the_guide_s_screenshots(chromium, live_server):  # type: ignore[no-untyped-def]
    pages = _demo_pages()
    therapist = pages["today-therapist"][0]
    admin = pages["today-admin"][0]
    lead = pages["today-lead"][0]
    course = Course.objects.filter(clinic__slug="north").order_by("pk").first()
    assert course is not None
    code = course.clients.first().code  # type: ignore[union-attr]
    pages |= {
        "course": (therapist, reverse("courses:course_detail", args=[code, course.pk])),
        "clinic-settings": (admin, reverse("clinic:clinic_settings")),
        "opening-hours": (admin, reverse("courses:course_settings")),
        "screening-rules": (lead, reverse("screening:rules")),
        "outcomes": (pages["today-researcher"][0], reverse("outcomes:home")),
    }
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    for name, (user, path) in pages.items():
        context = _context(chromium, live_server, user, "light", viewport=VIEWPORT)
        page = context.new_page()
        response = page.goto(live_server.url + path)
        assert response.status == 200, (name, path, response.status)
        path = GUIDE_IMAGES / f"{name}.png"
        page.screenshot(path=str(path))
        context.close()
        _shrink(path)


def _shrink(path: Path) -> None:
    """A 256-colour palette: a screenshot of text and flat colours loses nothing you can see,
    and the file is a third of the size (Pillow comes with matplotlib)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
