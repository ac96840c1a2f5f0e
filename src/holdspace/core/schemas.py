"""The edge: typed, bounded values that every API schema is built from.

A request is parsed into these before any service sees it, so a bad value answers 422 naming
its field and changes nothing. The bounds are the ones the services and the database can hold:
a NUL character (PostgreSQL refuses it in text), a time in year 1 (a UTC offset pushes it out of
Python's range when read back) or a number wider than a column would otherwise reach the
database and fail there as a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

# Clinical events (readings, doses, notes, intake measurements) happen in the age of this
# software; anything before is a typing error. Stated here once, for the OpenAPI schema too.
EARLIEST_EVENT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# Dates of a life (birth dates, a last use of a substance years ago) reach further back.
EARLIEST_DATE = dt.date(1900, 1, 1)
# A tablet's clock a few minutes fast is not "the future".
CLOCK_SKEW = dt.timedelta(minutes=2)
# Schedules reach forward; no clinic plans a visit decades ahead.
LATEST_SCHEDULE_YEARS = 5
# The largest signed 32-bit integer: every integer column and id fits it.
MAX_INT = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid email address.") from None
    return value


def _not_future(value: dt.datetime) -> dt.datetime:
    if value < EARLIEST_EVENT:
        raise ValueError(f"Must be on or after {EARLIEST_EVENT.date().isoformat()}.")
    if value > timezone.now() + CLOCK_SKEW:
        raise ValueError("This time is in the future.")
    return value


def _plannable(value: dt.datetime) -> dt.datetime:
    if value < EARLIEST_EVENT:
        raise ValueError(f"Must be on or after {EARLIEST_EVENT.date().isoformat()}.")
    if value.year > timezone.now().year + LATEST_SCHEDULE_YEARS:
        raise ValueError(f"Must be within {LATEST_SCHEDULE_YEARS} years from now.")
    return value


def _life_date(value: dt.date) -> dt.date:
    if value < EARLIEST_DATE:
        raise ValueError(f"Must be on or after {EARLIEST_DATE.isoformat()}.")
    if value > timezone.localdate() + dt.timedelta(days=1):
        raise ValueError("This date is in the future.")
    return value


def _plannable_date(value: dt.date) -> dt.date:
    if value < EARLIEST_EVENT.date():
        raise ValueError(f"Must be on or after {EARLIEST_EVENT.date().isoformat()}.")
    if value.year > timezone.localdate().year + LATEST_SCHEDULE_YEARS:
        raise ValueError(f"Must be within {LATEST_SCHEDULE_YEARS} years from now.")
    return value


# Text: a short label (names, codes, doses) or a longer clinical text (notes).
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_no_nul)]
Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_no_nul), AfterValidator(_email)
]
# A client's pseudonymous code as it appears in a path (HS-7K2F9Q).
ClientCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,20}$")]
# Times: when something happened (not in the future), or when something is planned.
EventTime = Annotated[AwareDatetime, AfterValidator(_not_future)]
PlannedTime = Annotated[AwareDatetime, AfterValidator(_plannable)]
LifeDate = Annotated[dt.date, AfterValidator(_life_date)]
PlannedDate = Annotated[dt.date, AfterValidator(_plannable_date)]
# Ids in paths and bodies fit the database's integer columns.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]


class ErrorOut(Schema):
    """Every 4xx and 5xx of the API: a sentence, and the refused fields with their reasons."""

    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)
