"""/api/v1/clients: the same scoped selectors and audit as the client pages."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from holdspace.people import policies, selectors, services
from holdspace.people.models import Client, Phase

from .schemas import CareTeamMemberOut, ClientOut, ClientSummaryOut, ErrorOut, IdentityOut

router = Router(tags=["clients"])


class ClientFilter(Schema):
    q: str = ""
    phase: Phase | None = None


@router.get("", response=list[ClientSummaryOut], summary="Clients you may see")
@paginate(PageNumberPagination)
def client_list(request: HttpRequest, filters: Query[ClientFilter]) -> list[Client]:
    membership = request.membership  # type: ignore[attr-defined]
    clients = selectors.client_search(
        membership, query=filters.q, phase=filters.phase.value if filters.phase else ""
    )
    services.client_list_record(by=request.actor)  # type: ignore[attr-defined]
    return clients  # type: ignore[return-value]  # the paginator slices the queryset


@router.get("/{code}", response={200: ClientOut, 404: ErrorOut}, summary="One client")
def client_detail(request: HttpRequest, code: str) -> ClientOut:
    membership = request.membership  # type: ignore[attr-defined]
    client = selectors.client_for_user(membership, code)
    identity = None
    if policies.can_read_identity(membership, client) and hasattr(client, "identity"):
        identity = IdentityOut.from_orm(client.identity)
    services.client_view_record(
        by=request.actor,  # type: ignore[attr-defined]
        client=client,
        identity_shown=identity is not None,
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
