"""Page numbers and sizes with bounds: a page past any real list answers 422, not a 500."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200


class BoundedPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_page_size=MAX_PAGE_SIZE, **kwargs)
