"""/api/v1/clients/{code}/preparation: readiness for the next medicine session (a status every
role that sees the client may read) and the checklist update (the care team)."""

from typing import Literal

from django.http import Http404
from ninja import Router, Schema

from holdspace.core.http import ApiRequest
from holdspace.core.schemas import ClientCode, Id, LongText, ShortText
from holdspace.courses.selectors import current_course, room_for_user
from holdspace.people.auditing import audit_read

from . import selectors, services

router = Router(tags=["preparation"])

YesNo = Literal["", "yes", "no"]


class ReadinessOut(Schema):
    ready: bool
    missing: list[str]
    overridden: bool


class PreparationPatch(Schema):
    """Only the fields sent change."""

    intentions: LongText | None = None
    music_playlist: ShortText | None = None
    eyeshades: bool | None = None
    room_id: Id | None = None
    ride_home: ShortText | None = None
    overnight_plan: LongText | None = None
    overnight_attendant: ShortText | None = None
    supportive_touch: YesNo | None = None
    agrees_to_stay: bool | None = None
    recording_consent: YesNo | None = None


def _readiness(client: object) -> ReadinessOut:
    found = selectors.preparation_readiness(client)  # type: ignore[arg-type]
    return ReadinessOut(ready=found.ready, missing=found.missing, overridden=found.overridden)


@router.get("/{code}/preparation", response=ReadinessOut, summary="Readiness")
def readiness(request: ApiRequest, code: ClientCode) -> ReadinessOut:
    client = selectors.readiness_client_for_user(request.membership, code)
    audit_read(request.actor, "preparation.readiness.view", client=client)
    return _readiness(client)


@router.patch(
    "/{code}/preparation",
    response=ReadinessOut,
    summary="Update the preparation checklist; answers the new readiness",
)
def preparation_update(
    request: ApiRequest, code: ClientCode, payload: PreparationPatch
) -> ReadinessOut:
    client = selectors.readiness_client_for_user(request.membership, code)
    course = current_course(client)
    if course is None:
        raise Http404("No course.")
    values = payload.dict(exclude_unset=True)
    # A field sent as null is not a value: the checklist keeps text and ticks, never None.
    values = {name: value for name, value in values.items() if value is not None}
    if "room_id" in values:
        values["room"] = room_for_user(request.membership, values.pop("room_id"))
    services.preparation_update(by=request.actor, course=course, client=client, **values)
    return _readiness(client)
