"""Browse the controlled vocabularies (being written)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from amparo.core.permissions import requires


@requires("vocabulary.view")
def thesaurus_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@requires("vocabulary.view")
def thesaurus_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")
