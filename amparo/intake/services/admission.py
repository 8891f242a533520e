"""Letting a public form in: its token, then its proof of work or its budget, then single use.

No hard cap applies to everyone. A form sent with JavaScript carries a proof of work, and the
work asked for grows with the load: `required_bits` adds one zero bit (twice the work) for each
doubling of the requests of its kind over the last minute beyond the normal load, up to
conf.POW_MAX_BITS. Only requests that paid are counted in that load, so raising the price costs
the one who raises it, and the price rises for the flood's every request as for everyone else's:
a genuine reporter pays a few seconds more and gets through. Wrong receipts pay like right ones
before their (deliberately slow) hash is computed.

A form sent without JavaScript has no proof of work: it draws on a budget per minute for such
forms (conf.DEFAULT_LIMITS), which a flood without JavaScript can spend, closing that way until
the next minute, but never the way with JavaScript. Nothing in a browser without scripts can make
a request cost its sender more than it costs the server, so that budget is what keeps such a
flood from taking the server's processors (a receipt's Argon2 hash) and database.

Every form is single-use: its nonce is recorded in the database (`SpentToken`) before anything
else is done with it, so a form sent twice (a double click, the Back button, a replay) is refused
however many server processes there are. Counters and spent nonces live in the database so that
every process shares them (see amparo.intake.ratelimit).
"""

from __future__ import annotations

import datetime
import math

from django.db import IntegrityError, transaction

from amparo.core.services import DomainError
from amparo.intake import conf, ratelimit, tokens
from amparo.intake.models import SpentToken
from amparo.intake.services.common import today

# What each public form counts as.
ACTIONS = {tokens.REPORT: "submit", tokens.FOLLOW_UP: "receipt", tokens.REPLY: "reply"}


class Refused(DomainError):
    """The form is not let in; `why` is one of the reasons below."""

    INVALID = "invalid"
    EXPIRED = "expired"
    SPENT = "spent"
    BUSY = "busy"

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def required_bits(kind: str) -> int:
    """The zero bits a proof of work for a form of `kind` needs now."""
    action = ACTIONS[kind]
    load = ratelimit.load(action, conf.LOAD_SECONDS)
    normal = conf.NORMAL_LOAD[action]
    extra = 0 if load <= normal else math.ceil(math.log2(load / normal))
    return min(conf.POW_MAX_BITS, conf.POW_BASE_BITS + extra)


def new_form(kind: str) -> tokens.FormToken:
    """A token for a page showing a form of `kind`, asking for today's proof of work."""
    return tokens.issue(kind, required_bits(kind))


def admit(kind: str, token_value: str, answer: str) -> tokens.FormToken:
    """The form's token if the form may be handled, or Refused. Spends the token."""
    try:
        token = tokens.read(token_value, kind)
    except tokens.TokenError as error:
        raise Refused(Refused.EXPIRED if error.expired else Refused.INVALID) from None
    action = ACTIONS[kind]
    paid = tokens.work(token, answer) >= required_bits(kind)
    if not paid:
        budget = conf.limit(f"{action}_without_pow")
        if not ratelimit.take(budget.name, budget.count, budget.seconds):
            raise Refused(Refused.BUSY)
    _spend(token)
    if paid:
        ratelimit.add(action, conf.LOAD_SECONDS)
    return token


def _spend(token: tokens.FormToken) -> None:
    # A token is refused after FORM_TOKEN_MAX_AGE (hours): a day later its nonce can go.
    try:
        with transaction.atomic():
            SpentToken.objects.create(
                nonce=token.nonce, expires_on=today() + datetime.timedelta(days=1)
            )
    except IntegrityError:
        raise Refused(Refused.SPENT) from None
    SpentToken.objects.filter(expires_on__lt=today()).delete()


def sweep() -> None:
    """Delete spent nonces and load periods no longer needed (also done as forms arrive)."""
    SpentToken.objects.filter(expires_on__lt=today()).delete()
    for action in ACTIONS.values():
        ratelimit.sweep(action, conf.LOAD_SECONDS)
    for name in conf.DEFAULT_LIMITS:
        ratelimit.sweep(name, conf.limit(name).seconds)
