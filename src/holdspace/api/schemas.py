from __future__ import annotations

import datetime as dt

from ninja import Schema


class IdentityOut(Schema):
    given_name: str
    family_name: str
    birth_date: dt.date | None
    email: str
    phone: str


class CareTeamMemberOut(Schema):
    email: str
    name: str
    role: str


class ClientSummaryOut(Schema):
    code: str
    phase: str
    created_at: dt.datetime


class ClientOut(ClientSummaryOut):
    clinic: str
    care_team: list[CareTeamMemberOut]
    identity: IdentityOut | None = None
