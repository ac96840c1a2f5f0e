"""/api/v1/clients: the same scoped selectors and audit as the client pages."""

from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from holdspace.core.http import ApiRequest
from holdspace.core.pagination import BoundedPagination
from holdspace.core.schemas import ClientCode, Email, LifeDate, ShortText
from holdspace.people import policies, selectors, services
from holdspace.people.models import Client, Phase

from .schemas import CareTeamMemberOut, ClientOut, ClientSummaryOut, IdentityOut

router = Router(tags=["clients"])


class ClientFilter(Schema):
    q: ShortText = ""
    phase: Phase | None = None


class ClientIn(Schema):
    """A referral: who the client is. The record gets a fresh pseudonymous code."""

    given_name: ShortText
    family_name: ShortText
    birth_date: LifeDate | None = None
    email: Email = ""
    phone: ShortText = ""


@router.get("", response=list[ClientSummaryOut], summary="Clients you may see")
@paginate(BoundedPagination)
def client_list(request: ApiRequest, filters: Query[ClientFilter]) -> Any:
    clients = selectors.client_search(
        request.membership, query=filters.q, phase=filters.phase.value if filters.phase else ""
    )
    services.client_list_record(by=request.actor)
    return clients


@router.post(
    "", response={201: ClientOut}, summary="Open a client record (therapist, lead, coordinator)"
)
def client_create(request: ApiRequest, payload: ClientIn) -> Status[ClientOut]:
    client = services.client_create(
        by=request.actor,
        given_name=payload.given_name,
        family_name=payload.family_name,
        birth_date=payload.birth_date,
        email=payload.email,
        phone=payload.phone,
    )
    return Status(201, _client_out(request, client))


@router.get("/{code}", response=ClientOut, summary="One client")
def client_detail(request: ApiRequest, code: ClientCode) -> ClientOut:
    client = selectors.client_for_user(request.membership, code)
    return _client_out(request, client)


def _client_out(request: ApiRequest, client: Client) -> ClientOut:
    identity = None
    if policies.can_read_identity(request.membership, client) and hasattr(client, "identity"):
        identity = IdentityOut.from_orm(client.identity)
    services.client_view_record(
        by=request.actor, client=client, identity_shown=identity is not None
    )
    return ClientOut(
        code=client.code,
        phase=client.phase,
        created_at=client.created_at,
        clinic=client.clinic.name,
        care_team=[
            CareTeamMemberOut(
                email=placed.membership.user.email,
                name=placed.membership.user.get_full_name(),
                role=placed.role,
            )
            for placed in selectors.care_team_for(client)
        ],
        identity=identity,
    )
