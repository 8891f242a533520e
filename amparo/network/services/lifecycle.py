"""The membership lifecycle: proposed → invited → accepted → active → under review → suspended →
ended or reinstated, as `rules/lifecycle.csv` lays it out. `transition` is the one service for
every step: it checks who may take it and what it requires (`access.ensure_member`), records the
change with its reason and an audit entry, and queues an e-mail to the delegation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError
from amparo.intake import sanitise
from amparo.network import access, keys, queries, rules, tasks
from amparo.network.models import InvitationLetter, Member, MembershipChange, Review, Status
from amparo.network.services import reviews
from amparo.network.services.common import MAX_REASON, locked, text

# Each transition of lifecycle.csv and what the audit log calls it.
TRANSITION_AUDIT: dict[str, AuditAction] = {
    "invite": AuditAction.NETWORK_MEMBER_INVITE,
    "accept": AuditAction.NETWORK_MEMBER_ACCEPT,
    "activate": AuditAction.NETWORK_MEMBER_ACTIVATE,
    "open_review": AuditAction.NETWORK_MEMBER_OPEN_REVIEW,
    "conclude_review": AuditAction.NETWORK_MEMBER_CONCLUDE_REVIEW,
    "suspend": AuditAction.NETWORK_MEMBER_SUSPEND,
    "reinstate": AuditAction.NETWORK_MEMBER_REINSTATE,
    "end": AuditAction.NETWORK_MEMBER_END,
    "withdraw": AuditAction.NETWORK_MEMBER_WITHDRAW,
}
# The transition that opens a review cycle.
OPEN_REVIEW = "open_review"

MAX_LETTER_BYTES = 5 * 1024 * 1024
LETTER_TYPES = frozenset({sanitise.PDF, sanitise.TEXT})


@dataclass(frozen=True)
class LetterInput:
    """An invitation letter: an uploaded file (PDF or plain text), or a text."""

    text: str = ""
    file_name: str = ""
    data: bytes | None = None

    @property
    def given(self) -> bool:
        return bool(self.data) or bool(self.text.strip())


def draft_letter(member: Member) -> str:
    """An invitation letter to start from, in the active language."""
    term = queries.current_term()
    return render_to_string(
        "network/invitation_letter.txt",
        {
            "member": member,
            "co_chairs": [m.country_name for m in term.members.all()] if term else [],
            "secretariats": Organisation.objects.filter(
                kind=Organisation.Kind.SECRETARIAT, is_active=True
            ),
            "today": queries.today(),
        },
    ).strip()


def _store_letter(actor: User, member: Member, letter: LetterInput) -> InvitationLetter:
    if letter.data:
        if len(letter.data) > MAX_LETTER_BYTES:
            raise ValidationError({"letter_file": _("The letter must be smaller than 5 MB.")})
        try:
            clean = sanitise.clean(letter.file_name or "letter", letter.data)
        except sanitise.Rejected as error:
            raise ValidationError({"letter_file": str(error)}) from error
        if clean.media_type not in LETTER_TYPES:
            raise ValidationError(
                {"letter_file": _("The letter must be a PDF or a plain text file.")}
            )
        row = InvitationLetter(
            member=member,
            file_name=clean.name,
            media_type=clean.media_type,
            data=clean.data,
            sha256=hashlib.sha256(clean.data).hexdigest(),
            created_by=actor,
        )
    else:
        body = text(letter.text, "letter_text")
        row = InvitationLetter(
            member=member,
            text=body,
            media_type=sanitise.TEXT,
            sha256=hashlib.sha256(body.encode()).hexdigest(),
            created_by=actor,
        )
    row.save()
    return row


@transaction.atomic
def transition(
    actor: User,
    member: Member,
    name: str,
    *,
    reason: str,
    letter: LetterInput | None = None,
) -> MembershipChange:
    """Take the transition `name` of rules/lifecycle.csv, with its reason (and, to invite, the
    letter). Refused with the reason when the rules do not allow it now."""
    lifecycle = rules.lifecycle()
    if name not in lifecycle:
        raise DomainError(_("There is no such step in a membership: %(name)s.") % {"name": name})
    rule = lifecycle[name]
    member = locked(member)
    takes_letter = rules.LETTER in rule.requires
    given = letter is not None and letter.given
    access.ensure_member(actor, name, member, letter=given if takes_letter else None)
    if given and not takes_letter:
        raise DomainError(_("Only an invitation comes with a letter."))
    reason = text(reason, "reason", limit=MAX_REASON)
    stored = _store_letter(actor, member, letter) if takes_letter and letter else None
    review: Review | None = reviews.open_review(member) if name == OPEN_REVIEW else None
    from_status = member.status
    today = queries.today()
    member.status = rule.target
    member.status_since = today
    if rule.target == Status.ACTIVE and member.joined_on is None:
        member.joined_on = today
    member.save(update_fields=["status", "status_since", "joined_on"])
    # Who reads the member's focal points and who acts as co-chair follow its status.
    keys.follow()
    change = MembershipChange.objects.create(
        member=member,
        transition=name,
        from_status=from_status,
        to_status=rule.target,
        reason=reason,
        on=today,
        actor=actor,
        letter=stored,
        review=review,
    )
    action: AuditAction = TRANSITION_AUDIT[name]
    audit.record(
        actor,
        action,
        member,
        changes={
            "status": {"from": from_status, "to": rule.target},
            "reason": reason,
            "letter": stored.pk if stored else None,
            "review": review.number if review else None,
        },
    )
    secret = tasks.carry(change)
    transaction.on_commit(lambda: tasks.membership_changed(change.pk, secret))
    return change
