"""The public pages of the network: the list of members whose membership is public, and each
member's page with what it chose to publish. One view and one template each, so that the
portal's publication rules can replace them; what is public is `publication.public_member`."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from amparo.core.permissions import public
from amparo.network import publication


@public
def public_index(request: HttpRequest) -> HttpResponse:
    return render(request, "network/public/index.html", {"members": publication.public_members()})


@public
def public_member(request: HttpRequest, country: str) -> HttpResponse:
    page = publication.public_member(country)
    if page is None:
        raise Http404
    return render(request, "network/public/member.html", {"page": page})
