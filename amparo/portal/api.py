"""The portal API for editors and reviewers: /api/v1/portal/… (mounted by amparo.api.main,
token authentication). The same `access` rules and services as the editors' pages: list and
read the publications of one's organisations (their content is exactly what is or would be
public), and submit, approve or withdraw one. The public reads the portal's pages and open data,
which need no token."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema

from amparo.core.permissions import signed_in_user
from amparo.portal import access, services
from amparo.portal.models import Publication

router = Router(tags=["portal"])


class Problem(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Problem, 403: Problem, 404: Problem}


class PublicationOut(Schema):
    id: int
    slug: str
    organisation: str
    kind: str
    title: str
    summary: str
    state: str
    withdrawal_reason: str
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    withdrawn_at: datetime.datetime | None
    actions: list[str]


class PublicationDetailOut(PublicationOut):
    # The draft; the "locked" label (text) when the caller's keys do not open it (issue 16).
    content: dict[str, Any] | str


def _out(user: Any, publication: Publication, *, content: bool = False) -> dict[str, Any]:
    out = {
        "id": publication.pk,
        "slug": publication.slug,
        "organisation": publication.organisation.short_code,
        "kind": publication.kind,
        "title": publication.title,
        "summary": publication.summary,
        "state": publication.state,
        "withdrawal_reason": publication.withdrawal_reason,
        "created_at": publication.created_at,
        "published_at": publication.published_at,
        "withdrawn_at": publication.withdrawn_at,
        "actions": sorted(access.actions_on(user, publication)),
    }
    if content:
        out["content"] = publication.content
    return out


def _publication(user: Any, pk: int) -> Publication:
    try:
        return access.get_visible_publication(user, pk)
    except PermissionDenied as error:
        raise Http404 from error


@router.get(
    "/portal/publications",
    response={200: list[PublicationOut], **ERRORS},
    summary="Publications of your organisations",
)
def list_publications(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    found = access.visible_publications(user).select_related("organisation")
    return [_out(user, p) for p in found]


@router.get(
    "/portal/publications/{pk}",
    response={200: PublicationDetailOut, **ERRORS},
    summary="A publication with its content (what is or would be public)",
)
def get_publication(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = signed_in_user(request)
    return _out(user, _publication(user, pk), content=True)


TRANSITIONS = {
    access.SUBMIT: services.submit,
    access.APPROVE: services.approve,
    access.WITHDRAW: services.withdraw,
}


@router.post(
    "/portal/publications/{pk}/{action}",
    response={200: PublicationOut, **ERRORS},
    summary="Submit, approve (a second person) or withdraw a publication",
)
def transition(request: HttpRequest, pk: int, action: str) -> dict[str, Any]:
    user = signed_in_user(request)
    publication = _publication(user, pk)
    if action not in TRANSITIONS:
        raise Http404
    return _out(user, TRANSITIONS[action](user, publication))
