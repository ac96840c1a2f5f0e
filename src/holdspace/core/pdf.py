"""PDF reports: a Django template and its context rendered to PDF bytes with WeasyPrint.

The report templates extend `pdf/base.html`, which inlines the print stylesheet (A4, no
navigation), so rendering fetches nothing: the URL fetcher refuses every URL, and charts are
inline SVG. Views read through their app's selectors and audit before calling here.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # A report never loads anything from outside: a stray <img src> or @import must not reach
    # the network or the file system.
    raise ValueError("PDF reports do not fetch resources")


def render_html(template: str, context: dict[str, Any], request: HttpRequest | None) -> str:
    return render_to_string(template, context, request=request)


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    import weasyprint  # imported here: it loads pango, which the rest of the app never needs

    html = render_html(template, context, request)
    pdf = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None  # noqa: S101  (write_pdf without a target returns the bytes)
    return pdf


def pdf_response(
    template: str, context: dict[str, Any], request: HttpRequest, filename: str
) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # clinical data: never kept by a proxy or browser cache
    return response


def refused(form: BaseForm) -> JsonResponse:
    """A report asked for with bad parameters: the one error shape, naming each field."""
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    return JsonResponse({"detail": "Invalid input.", "errors": errors}, status=422)
