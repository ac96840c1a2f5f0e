"""Every read of API tokens: a member sees only their own (another's answers 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from holdspace.people.models import User

from .models import ApiToken


def api_tokens_for_user(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_for_user(user: User, pk: int) -> ApiToken:
    token = api_tokens_for_user(user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token
