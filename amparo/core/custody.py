"""Writes of the key custody (issue 16): organisation keys, personal keys, grants, data keys.

The design is in docs/security.md ("A seized server"). In short:

* Each organisation has an X25519 key pair per protected level (restricted and above). Content is
  encrypted under a random data key per record, sealed to the owning organisation's public key
  for the record's level: encrypting needs nobody's private key.
* Each person has a key pair; the private key is wrapped under Argon2id(password) and, apart,
  under a recovery key shown once.
* An organisation's private key for a level is sealed to each member entitled to it
  (`core.access.key_reading_memberships`): a *grant*. A member who has no grant yet gets one when
  someone who holds the key acts (logs in, adds the membership): until then it is *pending*.
  A key nobody can hold yet (a new organisation) stays in the server's custody, wrapped under the
  key ring, and the first grant deletes that copy.
* At login the personal key is unwrapped and the granted organisation keys are opened into the
  request's keychain (amparo.core.keychain), which the session keeps under a cookie's secret.

Every function records an audit entry for what it changed; none logs key material.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from amparo.core import access, audit, crypto, keychain, sealing
from amparo.core.audit_actions import AuditAction
from amparo.core.errors import DomainError
from amparo.core.fields import BlindIndexField, EncryptedField, LockedValue
from amparo.core.models import (
    Clearance,
    DataKey,
    DataKeyCopy,
    IndexKey,
    KeyGrant,
    Organisation,
    OrganisationKey,
    PersonalKey,
    SealedRecord,
    User,
)

logger = logging.getLogger(__name__)

# The levels whose content is protected by organisation keys; public content needs none.
LEVELS = (Clearance.RESTRICTED, Clearance.CONFIDENTIAL, Clearance.STRICTLY_CONFIDENTIAL)
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_LENGTH = 26  # 130 bits
_CUSTODY_PURPOSE = "core.organisation_key.custody"
_PUBLIC_KEY_PURPOSE = "core.public_key.owner"
_RECOVERY_INFO = b"amparo recovery key/1"
_TOKEN_INFO = b"amparo api token keys/1"
_JOB_INFO = b"amparo job keys/1"


class KeysLocked(DomainError):
    """The keys needed to read or write sealed content are not unlocked in this request."""


class KeyTampered(Exception):
    """A public key in the database is not the one the application stored (see
    `_checked_public_key`): an attack, never a person's mistake, so no DomainError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        logger.error("A stored public key failed its integrity check.")


class CustodyError(DomainError):
    """A password, recovery key or token did not open a key; the message is for the person."""


def _custody_key() -> bytes:
    return bytes.fromhex(crypto.keyed_digest("organisation keys in custody", _CUSTODY_PURPOSE))


def _grant_aad(organisation_key_id: int, user_id: int) -> bytes:
    return f"amparo grant:{organisation_key_id}:{user_id}".encode()


def _personal_aad(user_id: int, how: str) -> bytes:
    return f"amparo personal key:{user_id}:{how}".encode()


def _data_key_aad(data_key_id: uuid.UUID) -> bytes:
    return b"amparo data key:" + data_key_id.bytes


def _custody_aad(organisation_key_id: int) -> bytes:
    return f"amparo organisation key custody:{organisation_key_id}".encode()


# --- organisation keys --------------------------------------------------------------------------


@transaction.atomic
def ensure_organisation_keys(organisation: Organisation) -> list[OrganisationKey]:
    """The organisation's key for every protected level and registered purpose, made where
    missing (held in the server's custody until a member can receive it)."""
    existing = {
        (key.purpose, key.level): key
        for key in OrganisationKey.objects.filter(organisation=organisation)
    }
    made = []
    for purpose in access.key_purposes():
        for level in LEVELS:
            if (purpose.name, level) in existing:
                continue
            pair = sealing.new_key_pair()
            key = OrganisationKey.objects.create(
                organisation=organisation,
                level=level,
                purpose=purpose.name,
                public_key=pair.public,
                public_key_mac=_public_key_mac(
                    pair.public, _organisation_key_owner(organisation.pk, level, purpose.name)
                ),
            )
            key.server_custody = sealing.wrap(_custody_key(), pair.private, _custody_aad(key.pk))
            key.save(update_fields=["server_custody"])
            existing[(purpose.name, level)] = key
            made.append(f"{purpose.name}: {Clearance(level).label}")
    if made:
        audit.record(
            None,
            AuditAction.KEYS_ORGANISATION_CREATE,
            organisation,
            organisation=organisation,
            changes={"levels": made},
        )
        fulfil_pending_grants(organisation=organisation)
    return [
        existing[(purpose.name, level)] for purpose in access.key_purposes() for level in LEVELS
    ]


def organisation_key(organisation: Organisation, level: int, purpose: str) -> OrganisationKey:
    """The key that protects `organisation`'s content of `level` for `purpose` (public
    content: restricted)."""
    level = max(level, Clearance.RESTRICTED)
    key = OrganisationKey.objects.filter(
        organisation=organisation, level=level, purpose=purpose
    ).first()
    if key is None:
        access.key_purpose(purpose)  # an unknown purpose is a programming error: say so
        key = {(k.purpose, k.level): k for k in ensure_organisation_keys(organisation)}[
            (purpose, level)
        ]
    return key


def _organisation_key_owner(organisation_id: int, level: int, purpose: str) -> str:
    return f"organisation {organisation_id} {level} {purpose}"


# --- personal keys ------------------------------------------------------------------------------


def new_recovery_key() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def _normal_recovery(text: str) -> bytes:
    compact = "".join(text.split()).replace("-", "").upper()
    confusable: dict[str, str | int | None] = {"I": "1", "L": "1", "O": "0"}
    compact = compact.translate(str.maketrans(confusable))
    return compact.encode("ascii", errors="replace")


def _recovery_wrapping_key(recovery_key: str, salt: bytes) -> bytes:
    return sealing.derive_from_secret(_normal_recovery(recovery_key), salt, _RECOVERY_INFO)


@transaction.atomic
def set_up_personal_key(user: User, password: str) -> str:
    """Make the person's key pair, wrapped under `password` and a new recovery key, which is
    returned to be shown once. Replaces an earlier personal key: its grants go (they were sealed
    to it) and become pending again; those at hand are made now."""
    recovery_key = write_personal_key(user, password)
    audit.record(user, AuditAction.KEYS_PERSONAL_CREATE, user)
    fulfil_pending_grants(for_user=user)
    return recovery_key


def write_personal_key(user: User, password: str) -> str:
    """The row of `set_up_personal_key`, nothing else (no audit entry, no grant): the step the
    test factories take to make accounts as they are after their first sign-in."""
    pair = sealing.new_key_pair()
    parameters = sealing.configured_parameters()
    password_salt, recovery_salt = sealing.new_salt(), sealing.new_salt()
    recovery_key = new_recovery_key()
    KeyGrant.objects.filter(user=user).delete()
    PersonalKey.objects.filter(user=user).delete()
    PersonalKey.objects.create(
        user=user,
        public_key=pair.public,
        public_key_mac=_public_key_mac(pair.public, f"user {user.pk}"),
        password_salt=password_salt,
        password_parameters=parameters.as_dict(),
        wrapped_by_password=sealing.wrap(
            sealing.derive_from_password(password, password_salt, parameters),
            pair.private,
            _personal_aad(user.pk, "password"),
        ),
        recovery_salt=recovery_salt,
        wrapped_by_recovery=sealing.wrap(
            _recovery_wrapping_key(recovery_key, recovery_salt),
            pair.private,
            _personal_aad(user.pk, "recovery"),
        ),
    )
    return recovery_key


def _private_by_password(personal: PersonalKey, password: str) -> bytes:
    parameters = sealing.Argon2Parameters.from_dict(personal.password_parameters)
    wrapping = sealing.derive_from_password(password, bytes(personal.password_salt), parameters)
    try:
        return sealing.unwrap(
            wrapping, personal.wrapped_by_password, _personal_aad(personal.user_id, "password")
        )
    except sealing.SealingError:
        raise CustodyError(_("The password does not open your key.")) from None


def _rewrap_password(personal: PersonalKey, private: bytes, password: str) -> None:
    parameters = sealing.configured_parameters()
    salt = sealing.new_salt()
    personal.password_salt = salt
    personal.password_parameters = parameters.as_dict()
    personal.wrapped_by_password = sealing.wrap(
        sealing.derive_from_password(password, salt, parameters),
        private,
        _personal_aad(personal.user_id, "password"),
    )
    personal.save(update_fields=["password_salt", "password_parameters", "wrapped_by_password"])


@transaction.atomic
def change_password(user: User, current_password: str, new_password: str) -> None:
    """A new password; the personal key is re-wrapped under it (the recovery key still opens
    it). Refuses, changing nothing, when the current password is wrong or the new one weak."""
    if not user.check_password(current_password):
        raise CustodyError(_("Your current password is not right."))
    password_validation.validate_password(new_password, user)
    personal = PersonalKey.objects.select_for_update().filter(user=user).first()
    if personal is not None:
        _rewrap_password(personal, _private_by_password(personal, current_password), new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(user, AuditAction.KEYS_PASSWORD_CHANGE, user)


@transaction.atomic
def recover(user: User, recovery_key: str, new_password: str) -> None:
    """Set a new password with the recovery key: it opens the personal key, which is re-wrapped
    under the new password. A wrong recovery key changes nothing."""
    personal = PersonalKey.objects.select_for_update().filter(user=user).first()
    if personal is None:
        raise CustodyError(_("This account has no personal key to recover."))
    try:
        private = sealing.unwrap(
            _recovery_wrapping_key(recovery_key, bytes(personal.recovery_salt)),
            personal.wrapped_by_recovery,
            _personal_aad(user.pk, "recovery"),
        )
    except sealing.SealingError:
        raise CustodyError(_("This recovery key does not open your key.")) from None
    password_validation.validate_password(new_password, user)
    _rewrap_password(personal, private, new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(user, AuditAction.KEYS_RECOVER, user)


# --- unlocking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unlocked:
    keychain: keychain.Keychain
    # Shown once when the personal key was made at this login (an account older than its key).
    recovery_key: str | None = None


def unlock(user: User, password: str) -> Unlocked:
    """The person's keychain: the personal key opened with `password`, every grant opened with
    it. An account without a personal key gets one now (its recovery key is returned to be shown
    once). Grants pending for others are made with what this person holds."""
    recovery_key = None
    personal = PersonalKey.objects.filter(user=user).first()
    if personal is None:
        recovery_key = set_up_personal_key(user, password)
        personal = PersonalKey.objects.get(user=user)
    private = _private_by_password(personal, password)
    # Keys that nobody holds yet come out of the server's custody to this person now, not at
    # their next sign-in: an organisation made without keys (an older installation, a purpose
    # added since) gets them here, and its first member's records open in this session.
    for membership in user.memberships.filter(is_active=True).select_related("organisation"):
        ensure_organisation_keys(membership.organisation)
    fulfil_pending_grants(for_user=user)
    chain = open_grants(user, private)
    # Kept for the data keys sealed to this person alone (`seal_copies`): a reader who is a
    # person, not an organisation (a steering-group seat).
    chain.personal_keys[personal.pk] = private
    fulfil_pending_grants(chain=chain)
    return Unlocked(keychain=chain, recovery_key=recovery_key)


def open_grants(user: User, personal_private: bytes) -> keychain.Keychain:
    chain = keychain.Keychain()
    for grant in KeyGrant.objects.filter(user=user, organisation_key__organisation__is_active=True):
        chain.organisation_keys[grant.organisation_key_id] = sealing.open_sealed(
            personal_private, grant.sealed, _grant_aad(grant.organisation_key_id, user.pk)
        )
    return chain


def keep_for_token(secret: str, token_id: int) -> tuple[bytes, bytes] | None:
    """The current keychain's organisation keys (and the person's own key) wrapped under the
    token's `secret`: (salt, wrapped), for an API token made by a person whose keys are
    unlocked; None when none are."""
    return _keep_under_secret(keychain.current(), secret, _TOKEN_INFO, _token_aad(token_id))


def open_for_token(
    secret: str,
    token_id: int,
    user: User,
    salt: sealing.Binary | None,
    wrapped: sealing.Binary | None,
) -> None:
    """Put the organisation keys an API token carries into the current keychain: only those the
    person still holds a grant for (a membership ended since is not carried on by the token),
    and their own key while it is still their key."""
    _open_under_secret(secret, _TOKEN_INFO, _token_aad(token_id), user, salt, wrapped)


def keep_for_job(secret: str, job: str, organisation: Organisation) -> tuple[bytes, bytes] | None:
    """The current keychain's keys of `organisation` wrapped under a one-time `secret`, for a
    background job (named `job`, e.g. "import 12") that must read what they open on behalf of
    the person who started it: (salt, wrapped); None when none are unlocked."""
    organisation_keys = set(
        OrganisationKey.objects.filter(organisation=organisation).values_list("pk", flat=True)
    )
    carried = keychain.Keychain(
        organisation_keys={
            pk: key
            for pk, key in keychain.current().organisation_keys.items()
            if pk in organisation_keys
        }
    )
    return _keep_under_secret(carried, secret, _JOB_INFO, _job_aad(job))


def open_for_job(
    secret: str,
    job: str,
    user: User,
    salt: sealing.Binary | None,
    wrapped: sealing.Binary | None,
) -> None:
    """Put the keys `keep_for_job` carried into the current keychain (those `user` still holds
    a grant for)."""
    _open_under_secret(secret, _JOB_INFO, _job_aad(job), user, salt, wrapped)


def _keep_under_secret(
    chain: keychain.Keychain, secret: str, info: bytes, aad: bytes
) -> tuple[bytes, bytes] | None:
    if not chain.organisation_keys and not chain.personal_keys:
        return None
    salt = sealing.new_salt()
    wrapping = sealing.derive_from_secret(secret.encode(), salt, info)
    return salt, sealing.wrap(wrapping, chain.to_bytes(), aad)


def _open_under_secret(
    secret: str,
    info: bytes,
    aad: bytes,
    user: User,
    salt: sealing.Binary | None,
    wrapped: sealing.Binary | None,
) -> None:
    if salt is None or wrapped is None:
        return
    wrapping = sealing.derive_from_secret(secret.encode(), bytes(salt), info)
    try:
        carried = keychain.Keychain.from_bytes(sealing.unwrap(wrapping, wrapped, aad))
    except sealing.SealingError:
        return
    granted = set(KeyGrant.objects.filter(user=user).values_list("organisation_key_id", flat=True))
    keychain.current().organisation_keys.update(
        {pk: key for pk, key in carried.organisation_keys.items() if pk in granted}
    )
    own = set(PersonalKey.objects.filter(user=user).values_list("pk", flat=True))
    keychain.current().personal_keys.update(
        {pk: key for pk, key in carried.personal_keys.items() if pk in own}
    )


def _token_aad(token_id: int) -> bytes:
    return f"amparo api token keys:{token_id}".encode()


def _job_aad(job: str) -> bytes:
    return f"amparo job keys:{job}".encode()


# --- grants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingGrant:
    user: User
    level: int
    purpose: str
    # Whether the person has a personal key yet (without one, nobody can grant them anything).
    has_personal_key: bool

    def get_level_display(self) -> str:
        return str(Clearance(self.level).label)

    def get_purpose_display(self) -> str:
        return str(access.key_purpose(self.purpose).label)


def pending_grants(organisation: Organisation) -> list[PendingGrant]:
    """Members entitled to a key of `organisation` who do not hold it yet: for administrators."""
    pending = []
    keys = OrganisationKey.objects.filter(organisation=organisation).order_by("purpose", "level")
    for key in keys:
        granted = set(key.grants.values_list("user_id", flat=True))
        memberships = (
            access.key_reading_memberships(organisation, key.level, key.purpose)
            .exclude(user_id__in=granted)
            .select_related("user")
            .order_by("user__username")
        )
        seen = set()
        for membership in memberships:
            if membership.user_id in seen:
                continue
            seen.add(membership.user_id)
            pending.append(
                PendingGrant(
                    user=membership.user,
                    level=key.level,
                    purpose=key.purpose,
                    has_personal_key=PersonalKey.objects.filter(user=membership.user).exists(),
                )
            )
    return pending


@transaction.atomic
def fulfil_pending_grants(
    *,
    chain: keychain.Keychain | None = None,
    organisation: Organisation | None = None,
    for_user: User | None = None,
) -> int:
    """Seal each organisation key that is at hand (in `chain`, the current keychain, or the
    server's custody) to every entitled member with a personal key who lacks it. Drops the
    server's custody copy of a key once someone holds it. Returns how many grants were made."""
    work = keychain.current()
    chain = chain if chain is not None else work
    keys = OrganisationKey.objects.select_related("organisation").filter(
        organisation__is_active=True
    )
    if organisation is not None:
        keys = keys.filter(organisation=organisation)
    if for_user is not None:
        keys = keys.filter(organisation__memberships__user=for_user).distinct()
    else:
        keys = keys.filter(pk__in=[*chain.organisation_keys, *work.custody, *_custodied_key_ids()])
    made = 0
    for key in keys:
        private = chain.organisation_keys.get(key.pk) or work.custody.get(key.pk)
        if private is None and key.server_custody is not None:
            private = sealing.unwrap(_custody_key(), key.server_custody, _custody_aad(key.pk))
            # At hand for the rest of this request or command (an operator adding several
            # members), never in a person's keychain, and gone with the request's.
            work.custody[key.pk] = private
        if private is None:
            continue
        entitled = access.key_reading_memberships(key.organisation, key.level, key.purpose).filter(
            user__personal_key__isnull=False
        )
        if for_user is not None:
            entitled = entitled.filter(user=for_user)
        missing = (
            User.objects.filter(pk__in=entitled.values("user"))
            .exclude(key_grants__organisation_key=key)
            .select_related("personal_key")
        )
        for user in missing:
            KeyGrant.objects.create(
                organisation_key=key,
                user=user,
                sealed=sealing.seal(
                    _checked_public_key(user.personal_key, f"user {user.pk}"),
                    private,
                    _grant_aad(key.pk, user.pk),
                ),
            )
            audit.record(
                None,
                AuditAction.KEYS_GRANT,
                user,
                organisation=key.organisation,
                changes={"level": str(Clearance(key.level).label), "purpose": key.purpose},
            )
            made += 1
        if key.server_custody is not None and key.grants.exists():
            key.server_custody = None
            key.save(update_fields=["server_custody"])
    return made


def _custodied_key_ids() -> list[int]:
    return list(
        OrganisationKey.objects.filter(server_custody__isnull=False).values_list("pk", flat=True)
    )


@transaction.atomic
def revoke_unentitled_grants(organisation: Organisation) -> int:
    """Delete the grants of `organisation`'s keys held by members no longer entitled (membership
    ended, clearance lowered, role changed). Returns how many."""
    revoked = 0
    for key in OrganisationKey.objects.filter(organisation=organisation):
        entitled = access.key_reading_memberships(organisation, key.level, key.purpose).values(
            "user"
        )
        stale = key.grants.exclude(user__in=entitled).select_related("user")
        for grant in stale:
            audit.record(
                None,
                AuditAction.KEYS_GRANT_REVOKE,
                grant.user,
                organisation=organisation,
                changes={"level": str(Clearance(key.level).label), "purpose": key.purpose},
            )
            grant.delete()
            revoked += 1
    return revoked


# --- data keys ----------------------------------------------------------------------------------


# Set in a copy of a process (an import's helper, `amparo.core.forked`) that seals with the keys
# its original made or opened (`take_writing_keys`): a key it made, and the organisation key it
# might make with it, would be made twice at once, by each process.
_copy_of_a_process = False


def new_data_key(
    organisation: Organisation, level: int, purpose: str, *, dedicated: bool = True
) -> DataKey:
    """A new random data key for a record of `organisation` at `level`, sealed to that
    organisation's key for `purpose`, and open in the current keychain for the rest of the
    request."""
    if _copy_of_a_process:
        raise RuntimeError("A copy of the process seals with its original's keys only.")
    raw = sealing.new_secret()
    data_key = DataKey.objects.create(
        id=uuid.uuid4(),
        organisation=organisation,
        level=level,
        purpose=purpose,
        dedicated=dedicated,
    )
    share_data_key(data_key, raw, organisation)
    keychain.current().data_keys[data_key.pk] = raw
    return data_key


def share_data_key(data_key: DataKey, raw: bytes, organisation: Organisation) -> DataKeyCopy:
    """Seal `data_key` (whose value is `raw`) to `organisation`'s key for its level and
    purpose."""
    key = organisation_key(organisation, data_key.level, data_key.purpose)
    copy, _created = DataKeyCopy.objects.update_or_create(
        data_key=data_key,
        organisation_key=key,
        defaults={
            "sealed": sealing.seal(
                _checked_public_key(
                    key, _organisation_key_owner(key.organisation_id, key.level, key.purpose)
                ),
                raw,
                _data_key_aad(data_key.pk),
            )
        },
    )
    return copy


def seal_copies(wanted: Iterable[tuple[uuid.UUID, OrganisationKey | PersonalKey]]) -> int:
    """Seal each data key of `wanted` to its recipient: an organisation's key for the data key's
    level and purpose, or one person's own key (a reader who is a person, not an organisation:
    their colleagues do not open such a copy). Data keys that the keys at hand do not open are
    passed over; a copy that exists already is kept as it is. Each public key's MAC is checked
    once (`_checked_public_key`) and the copies are written in one statement. Returns how many
    the keys at hand could seal."""
    pairs = list(dict.fromkeys((data_key_id, recipient) for data_key_id, recipient in wanted))
    if not pairs:
        return 0
    open_data_keys(data_key_id for data_key_id, _recipient in pairs)
    publics: dict[tuple[str, int], bytes] = {}
    copies = []
    for data_key_id, recipient in pairs:
        raw = open_data_key(data_key_id)
        if raw is None:
            continue
        if isinstance(recipient, PersonalKey):
            where = ("p", recipient.pk)
            owner = f"user {recipient.user_id}"
        else:
            where = ("o", recipient.pk)
            owner = _organisation_key_owner(
                recipient.organisation_id, recipient.level, recipient.purpose
            )
        if where not in publics:
            publics[where] = _checked_public_key(recipient, owner)
        copies.append(
            DataKeyCopy(
                data_key_id=data_key_id,
                organisation_key=recipient if isinstance(recipient, OrganisationKey) else None,
                personal_key=recipient if isinstance(recipient, PersonalKey) else None,
                sealed=sealing.seal(publics[where], raw, _data_key_aad(data_key_id)),
            )
        )
    DataKeyCopy.objects.bulk_create(copies, ignore_conflicts=True)
    return len(copies)


def _public_key_mac(public: bytes, owner: str) -> str:
    return crypto.keyed_digest(f"{owner}:{public.hex()}", _PUBLIC_KEY_PURPOSE)


def _checked_public_key(key: OrganisationKey | PersonalKey, owner: str) -> bytes:
    """The public key, once its MAC shows the application stored it for this owner: whoever
    can write to the database but holds no key file cannot have reports or grants sealed to a
    key of theirs."""
    public = bytes(key.public_key)
    if not hmac.compare_digest(key.public_key_mac, _public_key_mac(public, owner)):
        raise KeyTampered(
            _("A stored public key failed its integrity check: nothing was sealed to it.")
        )
    return public


def _secret_private(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return sealing.derive_from_secret(secret, salt, info)


def add_secret_copy(data_key: DataKey, raw: bytes, secret: bytes, info: bytes) -> DataKeyCopy:
    """A copy of `data_key` that opens with `secret` (a reporter's receipt): sealed to a key
    pair derived from the secret and a fresh salt, so the server never stores what opens it."""
    salt = sealing.new_salt()
    public = sealing.public_of(_secret_private(secret, salt, info))
    return DataKeyCopy.objects.create(
        data_key=data_key,
        salt=salt,
        sealed=sealing.seal(public, raw, _data_key_aad(data_key.pk)),
    )


def open_with_secret(data_key_id: uuid.UUID, secret: bytes, info: bytes) -> bytes | None:
    """The data key opened with `secret` (see `add_secret_copy`), kept in the current keychain;
    None if no copy opens with it."""
    for copy in DataKeyCopy.objects.filter(data_key_id=data_key_id, salt__isnull=False):
        try:
            raw = sealing.open_sealed(
                _secret_private(secret, bytes(copy.salt or b""), info),
                copy.sealed,
                _data_key_aad(data_key_id),
            )
        except sealing.SealingError:
            continue
        keychain.current().data_keys[data_key_id] = raw
        return raw
    return None


def open_data_key(data_key_id: uuid.UUID) -> bytes | None:
    """The data key, from the current keychain or opened with one of its organisation keys;
    None when nothing unlocked here opens it."""
    # Asked for every sealed value written or read: the key is most often open already.
    data_keys = keychain.current().data_keys
    if data_key_id not in data_keys:
        open_data_keys([data_key_id])
    return data_keys.get(data_key_id)


def open_data_keys(data_key_ids: Iterable[uuid.UUID | None]) -> None:
    """Open into the current keychain every data key of `data_key_ids` that its organisation
    keys (or the person's own key, for copies sealed to them alone) open: one query for all of
    them (a list of records) instead of one per key."""
    chain = keychain.current()
    held = chain.held()
    missing = sorted(
        {
            pk
            for pk in data_key_ids
            if pk is not None and pk not in chain.data_keys and chain.unopened.get(pk) != held
        }
    )
    if not missing or not held:
        return
    for pk in missing:  # until opened below
        chain.unopened[pk] = held
    sealed_to_held = models.Q(organisation_key_id__in=list(chain.organisation_keys))
    if chain.personal_keys:
        sealed_to_held |= models.Q(personal_key_id__in=list(chain.personal_keys))
    for start in range(0, len(missing), _IDS_PER_QUERY):
        copies = DataKeyCopy.objects.filter(
            sealed_to_held, data_key_id__in=missing[start : start + _IDS_PER_QUERY]
        ).values_list(
            "data_key_id",
            "organisation_key_id",
            "personal_key_id",
            "sealed",
            "data_key__organisation_id",
            "data_key__level",
            "data_key__purpose",
        )
        for (
            data_key_id,
            organisation_key_id,
            personal_key_id,
            sealed,
            organisation_id,
            level,
            purpose,
        ) in copies:
            if data_key_id in chain.data_keys:
                continue
            private = (
                chain.organisation_keys.get(organisation_key_id)
                if organisation_key_id is not None
                else chain.personal_keys.get(personal_key_id)
            )
            if private is None:
                continue
            try:
                chain.data_keys[data_key_id] = sealing.open_sealed(
                    private, sealed, _data_key_aad(data_key_id)
                )
            except sealing.SealingError:
                continue
            chain.unopened.pop(data_key_id, None)
            chain.key_scopes[data_key_id] = (organisation_id, level, purpose)


# SQLite's default limit of variables in one statement is far above; a list page is far below.
_IDS_PER_QUERY = 500


def require_data_key(data_key_id: uuid.UUID) -> bytes:
    raw = open_data_key(data_key_id)
    if raw is None:
        raise KeysLocked(
            _(
                "This record is sealed and your keys do not open it here: sign in again, or ask "
                "an administrator about your pending key."
            )
        )
    return raw


# --- index keys (core.models.IndexKey) ---------------------------------------------------------


def index_key(organisation_id: int, purpose: str) -> bytes | None:
    """`organisation_id`'s index key for `purpose`, made now if it has none (sealed to the
    organisation's public key: making it needs nobody's key); None when it has one that the keys
    here do not open, so that what is written here gets no index rather than one the key ring
    could compute."""
    chain = keychain.current()
    data_key_id = chain.index_keys.get((organisation_id, purpose))
    if data_key_id is None:
        data_key_id = (
            IndexKey.objects.filter(organisation_id=organisation_id, purpose=purpose)
            .values_list("data_key_id", flat=True)
            .first()
        )
        if data_key_id is None:
            return _new_index_key(organisation_id, purpose)
        chain.index_keys[(organisation_id, purpose)] = data_key_id
    # Once per row of an import: the key opened for the first is taken as it is.
    return chain.data_keys.get(data_key_id) or open_data_key(data_key_id)


def _new_index_key(organisation_id: int, purpose: str) -> bytes | None:
    try:
        with transaction.atomic():
            data_key = new_data_key(
                Organisation.objects.get(pk=organisation_id),
                Clearance.RESTRICTED,
                purpose,
                dedicated=False,
            )
            IndexKey.objects.create(
                organisation_id=organisation_id, purpose=purpose, data_key=data_key
            )
    except IntegrityError:
        # Another writer made the organisation's meanwhile: theirs is the one.
        return index_key(organisation_id, purpose)
    # Not remembered in `index_keys`: if the transaction around this rolls back, the key goes
    # with it, and the next row looks it up again (one query) instead of using a key that is
    # not there.
    return keychain.current().data_keys[data_key.pk]


def held_index_keys(purpose: str) -> list[bytes]:
    """The index keys of `purpose` that the keys here open, one per organisation: what a lookup
    computes its values with (those of other organisations' rows are computed with keys nobody
    here holds, so they match nothing)."""
    chain = keychain.current()
    found = list(
        IndexKey.objects.filter(purpose=purpose).values_list("organisation_id", "data_key_id")
    )
    open_data_keys(data_key_id for _organisation_id, data_key_id in found)
    held = []
    for organisation_id, data_key_id in found:
        chain.index_keys[(organisation_id, purpose)] = data_key_id
        raw = open_data_key(data_key_id)
        if raw is not None:
            held.append(raw)
    return held


def keyed_index_names(model: type[models.Model]) -> list[str]:
    """The blind indexes of `model` computed with its organisation's index key."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, BlindIndexField) and field.keyed_by is not None
    ]


class IndexMigration:
    """`amparo keys migrate` for a blind index keyed by organisation (`BlindIndexField.keyed_by`),
    one committed batch after another in the current keychain (the run's): each index still
    made with the key ring is computed again with its row's organisation index key, or left
    empty when the run cannot compute it (its keys do not open that index key, made by an
    earlier run, or the row's value, sealed before): the ring must answer nothing about a
    name. `left` counts those. With a member's keys (`--as`) it also indexes the empty indexes
    of the organisations whose index key they open."""

    def __init__(self, model: type[models.Model], field: BlindIndexField[Any, Any]) -> None:
        self.model, self.field = model, field
        self.left = 0
        self._after: object = None

    def batch(self, batch_size: int) -> int:
        """Up to `batch_size` rows, in one transaction; how many were looked at (0: done)."""
        field = self.field
        assert field.keyed_by is not None
        owner = f"{field.keyed_by}_id"
        chain = keychain.current()
        held_index_keys(field.key_purpose)  # those this run made, and a member's (`--as`)
        held = [
            organisation_id
            for (organisation_id, purpose), data_key_id in chain.index_keys.items()
            if purpose == field.key_purpose and data_key_id in chain.data_keys
        ]
        on_the_ring = models.Q(**{f"{field.name}__isnull": False}) & ~models.Q(
            **{f"{field.name}__startswith": crypto.ORGANISATION_INDEX_PREFIX}
        )
        unindexed = models.Q(**{f"{field.name}__isnull": True, f"{owner}__in": held})
        with transaction.atomic():
            rows = (
                self.model._base_manager.select_for_update()
                .filter(on_the_ring | unindexed)
                .only("pk", owner, field.source, field.name)
            )
            if self._after is not None:
                rows = rows.filter(pk__gt=self._after)
            batch = list(rows.order_by("pk")[:batch_size])
            for row in batch:
                value = getattr(row, field.source)
                index = None
                if not isinstance(value, LockedValue):
                    index = field.organisation_digest(value, getattr(row, owner))
                if index is None and value and getattr(row, field.name) is not None:
                    self.left += 1
                setattr(row, field.attname, index)
            self.model._base_manager.bulk_update(batch, [field.name])
        if batch:
            self._after = batch[-1].pk
        return len(batch)


# --- sealed rows (core.models.SealedRecord) -------------------------------------------------------


def sealed_field_names(model: type[models.Model]) -> list[str]:
    """The fields of `model` sealed with its row's data key."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField) and field.sealed_by == "data_key"
    ]


def _opens_everything(record: SealedRecord) -> bool:
    """Whether every sealed value of `record` was opened here (or is new): only then may it
    move to another data key, its values sealed again."""
    return not any(
        isinstance(getattr(record, name), LockedValue) for name in sealed_field_names(type(record))
    )


def assign_data_keys(rows: Iterable[models.Model]) -> None:
    """`assign_data_key` for each sealed row of `rows` written in bulk (no `save`)."""
    for row in rows:
        if isinstance(row, SealedRecord):
            assign_data_key(row)


def assign_data_key(record: SealedRecord) -> bool:
    """Give `record` the data key it must be sealed with (see SealedRecord); True when that
    changed its key, so its sealed fields must be written again."""
    if record.data_key_id is not None and not _opens_everything(record):
        return False  # its values stay as they are, under the key that opens them
    parent = record.sealing_parent()
    if parent is not None:
        if parent.data_key_id is None:
            # A parent still under the ring (`amparo keys migrate` has not reached it): moved
            # with its child, so that both are sealed with one key.
            parent.save(update_fields=["data_key", *sealed_field_names(type(parent))])
        target = parent.data_key_id
        if target is not None and open_data_key(target) is None:
            # The parent's key does not open here (a later batch of `amparo keys migrate`, a
            # job without it): a writing key of the parent's organisation and level, which
            # SealedRecord subclasses may move the row off when their parent's key is at hand.
            parent_scope = _scope_of(target)
            if parent_scope is None:
                return False
            if record.data_key_id is not None and _scope_of(record.data_key_id) == parent_scope:
                return False
            target = writing_key(*parent_scope)
    else:
        scope = _scope_for(record)
        if (
            record.data_key_id is not None
            and _scope_of(record.data_key_id) == scope
            # Every value is new or was opened, but its key may not open here (a job without
            # the key of the row it replaces the values of): then it moves to the writing key.
            and open_data_key(record.data_key_id) is not None
        ):
            return False
        target = writing_key(*scope)
    if target is None or target == record.data_key_id:
        return False
    record.data_key_id = target
    return True


def _scope_for(record: SealedRecord) -> keychain.Scope:
    """(organisation id, level, purpose) of the key `record` must be sealed with."""
    organisation_id, level = record.sealing_scope()
    return (organisation_id, max(level, Clearance.RESTRICTED), record._meta.app_label)


def _scope_of(data_key_id: uuid.UUID) -> keychain.Scope | None:
    chain = keychain.current()
    scope = chain.key_scopes.get(data_key_id)
    if scope is None:
        row = (
            DataKey.objects.filter(pk=data_key_id)
            .values_list("organisation_id", "level", "purpose")
            .first()
        )
        if row is None:
            return None
        scope = chain.key_scopes[data_key_id] = row
    return scope


def writing_key(organisation_id: int, level: int, purpose: str) -> uuid.UUID:
    """The data key that rows of `organisation_id` at `level` for `purpose` written in this
    request or job are sealed with: made at the first such row (one seal, not one per row), open
    in the keychain for the rest of it. Not dedicated: sharing moves the shared rows off it
    (`dedicate`)."""
    chain = keychain.current()
    scope = (organisation_id, level, purpose)
    known = chain.writing_keys.get(scope)
    if known is not None and (known.pending is None or _transaction_open(known.pending)):
        return known.id
    data_key = new_data_key(
        Organisation.objects.get(pk=organisation_id), level, purpose, dedicated=False
    )
    made = keychain.WritingKey(data_key.pk)
    if transaction.get_connection().in_atomic_block:

        def committed() -> None:
            made.pending = None

        made.pending = committed
        transaction.on_commit(committed)
    chain.writing_keys[scope] = made
    chain.key_scopes[data_key.pk] = scope
    return data_key.pk


def scopes_for(records: Iterable[SealedRecord]) -> set[keychain.Scope]:
    """The scopes of the writing keys that `records`, new, will be sealed with."""
    return {_scope_for(record) for record in records}


def writing_keys(scopes: Iterable[keychain.Scope]) -> dict[keychain.Scope, tuple[uuid.UUID, bytes]]:
    """The writing key of each scope (`writing_key`: made if need be) with its value, for a copy
    of this process to seal with the same keys (`take_writing_keys`)."""
    chain = keychain.current()
    found = {}
    for scope in scopes:
        key_id = writing_key(*scope)
        found[scope] = (key_id, chain.data_keys[key_id])
    return found


def take_writing_keys(keys: Mapping[keychain.Scope, tuple[uuid.UUID, bytes]]) -> None:
    """In a copy of a process, the writing keys its original gave (`writing_keys`): the only
    keys it seals new rows with; it makes none (`new_data_key` refuses)."""
    global _copy_of_a_process
    _copy_of_a_process = True
    chain = keychain.current()
    for scope, (key_id, raw) in keys.items():
        chain.writing_keys[scope] = keychain.WritingKey(key_id)
        chain.key_scopes[key_id] = scope
        chain.data_keys[key_id] = raw


def _transaction_open(on_commit: Callable[[], None]) -> bool:
    """Whether the transaction that registered `on_commit` is still open: a rollback drops the
    callbacks of what it undid (and the data key made there with them)."""
    return any(entry[1] is on_commit for entry in transaction.get_connection().run_on_commit)


@transaction.atomic
def dedicate(records: Sequence[SealedRecord]) -> uuid.UUID:
    """Make `records` (one record's rows, all sealed with one key: an event with its acts,
    sources and comments; a person) the only rows sealed with their data key, so it can be
    sealed to a partner: a key shared with other rows is replaced by a new dedicated key and the
    rows' fields are sealed again under it. Returns the key. KeysLocked when the keys at hand do
    not open them."""
    keys = {record.data_key_id for record in records}
    if len(keys) != 1:
        raise ValueError("dedicate() takes the rows of one data key")
    current = keys.pop()
    if current is not None and DataKey.objects.filter(pk=current, dedicated=True).exists():
        return current
    if current is not None:
        require_data_key(current)
    if not all(_opens_everything(record) for record in records):
        raise KeysLocked(
            _("This record is sealed and your keys do not open it here: it cannot be shared.")
        )
    organisation_id, level, purpose = _scope_for(records[0])
    data_key = new_data_key(Organisation.objects.get(pk=organisation_id), level, purpose)
    for record in records:
        record.data_key_id = data_key.pk
        # Model.save, past SealedRecord.save: a child's assign_data_key would put it back on
        # the key of its parent as another instance in memory still names it.
        models.Model.save(record, update_fields=["data_key", *sealed_field_names(type(record))])
    return data_key.pk


def share_sealed(data_key_id: uuid.UUID, organisation: Organisation) -> None:
    """Seal a dedicated data key to `organisation` as well (a partner it is shared with), once:
    every change of a shared event and every alert page ask again, and a copy already there is
    kept (sealing again costs an X25519 exchange and a write for nothing)."""
    data_key = DataKey.objects.get(pk=data_key_id)
    if not data_key.dedicated:
        raise ValueError("only a dedicated data key is shared (custody.dedicate)")
    target = organisation_key(organisation, data_key.level, data_key.purpose)
    if DataKeyCopy.objects.filter(data_key=data_key, organisation_key=target).exists():
        return
    share_data_key(data_key, require_data_key(data_key_id), organisation)


def unshare_sealed(data_key_ids: Iterable[uuid.UUID], organisation: Organisation) -> int:
    """Delete `organisation`'s copies of these data keys (a withdrawn share); never the owner's.
    Returns how many copies went."""
    deleted, _by_model = (
        DataKeyCopy.objects.filter(
            data_key_id__in=list(data_key_ids), organisation_key__organisation=organisation
        )
        .exclude(data_key__organisation=organisation)
        .delete()
    )
    return deleted


def unshare_sealed_with_person(data_key_ids: Iterable[uuid.UUID], user_id: int) -> int:
    """Delete the copies of these data keys sealed to the personal key of `user_id` (a
    withdrawn share with one person). Returns how many copies went."""
    deleted, _by_model = DataKeyCopy.objects.filter(
        data_key_id__in=list(data_key_ids), personal_key__user_id=user_id
    ).delete()
    return deleted


def migrator(model: type[SealedRecord]) -> Callable[[int], int]:
    """`amparo keys migrate` for `model` (core.keys.register_migration): up to `batch_size` of
    its rows still under the ring are read with it and sealed with data keys, in one
    transaction, in the run's keychain (no person's key is needed), and their blind indexes
    keyed by organisation computed with their organisation's index key. Returns how many
    moved."""

    def move(batch_size: int) -> int:
        fields = ["data_key", *sealed_field_names(model), *keyed_index_names(model)]
        with transaction.atomic():
            batch = list(
                model._default_manager.select_for_update()
                .filter(data_key__isnull=True)
                .order_by("pk")[:batch_size]
            )
            for record in batch:
                record.save(update_fields=fields)
        return len(batch)

    return move
