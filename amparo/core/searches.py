"""Search words kept out of addresses.

A list page's free-text search and its name search say who a person is or what happened to
them; in an address they would land in the browser's history, in bookmarks, in the
Referer header and in the logs of every proxy on the way. So such a list takes them in a POST,
keeps them in the session under a short random id, and redirects to `?search=<id>` with the
filters that name nobody (country, dates, terms, status) left in the address, so that the
page can be reloaded, paged through and bookmarked for the length of the session:

    if request.method == "POST" and form.is_valid():
        words = {name: form.cleaned_data[name] for name in PRIVATE}
        return redirect(f"?{public_query}&search={searches.remember(request, SCOPE, words)}")
    words = searches.recall(request, SCOPE, request.GET.get("search", ""))

The session lives in the database, so the words are stored encrypted with the key ring (like
every other identifying value) and only the last KEPT searches of a session are kept. An id
from another session, another list (`scope`), or an earlier key ring finds nothing.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping

from django.http import HttpRequest

from amparo.core import crypto

SESSION_KEY = "amparo_searches"
PURPOSE = "core.session.search"
KEPT = 20
SEARCH_ID = re.compile(r"[A-Za-z0-9_-]{12}")


def remember(request: HttpRequest, scope: str, words: Mapping[str, str]) -> str:
    """Keep `words` for this session's `scope` (a list page); the id to put in its address."""
    search_id = secrets.token_urlsafe(9)
    kept: dict[str, str] = dict(request.session.get(SESSION_KEY, {}))
    kept[search_id] = crypto.encrypt_text(
        json.dumps({"scope": scope, "words": dict(words)}), PURPOSE
    )
    while len(kept) > KEPT:
        del kept[next(iter(kept))]  # the oldest: dicts keep their insertion order
    request.session[SESSION_KEY] = kept
    return search_id


def recall(request: HttpRequest, scope: str, search_id: str) -> dict[str, str] | None:
    """The words kept under `search_id` for `scope` in this session, or None."""
    if not SEARCH_ID.fullmatch(search_id):
        return None
    token = request.session.get(SESSION_KEY, {}).get(search_id)
    if not isinstance(token, str):
        return None
    try:
        kept = json.loads(crypto.decrypt_text(token, PURPOSE))
    except (crypto.CryptoError, ValueError):
        return None  # kept under a key the ring no longer has, or not ours
    if kept.get("scope") != scope:
        return None
    return {str(name): str(value) for name, value in kept.get("words", {}).items()}
