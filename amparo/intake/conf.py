"""The intake channel's settings, with their defaults and validation, read at call time.

Deployments set them in the environment (config/settings.py):
  AMPARO_INTAKE_ORGANISATION      short code of the organisation that receives /report/
  AMPARO_INTAKE_NHRI_REPRISALS_TO short code of the network secretariat that also receives
                                  reports of reprisals against an NHRI, its members or staff
  AMPARO_INTAKE_RETENTION_DAYS    days a closed submission is kept before `amparo intake purge`
  AMPARO_INTAKE_RATE_LIMITS       budgets of forms sent without JavaScript (so without proof of
                                  work), "name=count/seconds,...", e.g. "submit_without_pow=10/60"
                                  (names below)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
# Everything but the files: the longest answers the form accepts, plus room for the field names.
MAX_FORM_BYTES = 256 * 1024
MAX_REQUEST_BYTES = MAX_FILES * MAX_FILE_BYTES + MAX_FORM_BYTES
MAX_FILES_PER_SUBMISSION = 50
MAX_TEXT_CHARS = 20_000
MAX_SHORT_TEXT_CHARS = 500
# Pixels of one picture, read from its header before it is decoded: 50 million is a phone's
# largest common mode (48 or 50 MP); decoded, it takes 150 MB (200 MB with transparency).
MAX_IMAGE_PIXELS = 50_000_000
# All the pictures of one sending together (photos and the pictures inside PDFs, such as a long
# scan): each is decoded and re-encoded in turn, so this bounds the time, not the memory.
MAX_REQUEST_IMAGE_PIXELS = 400_000_000

# A form may stay open for a while: people write slowly, or stop and come back.
FORM_TOKEN_MAX_AGE = 6 * 3600
# How long a follow-up page stays usable after the receipt was entered.
ACCESS_MAX_AGE = 30 * 60

# Proof of work (amparo.intake.tokens, services.admission). Every form sent with JavaScript
# carries n such that SHA-256("<nonce>:<n>") starts with a number of zero bits: each bit doubles
# the browser's work (2**14 hashes take a browser a few hundredths of a second). At normal load
# the base number is asked; above it, one more bit for each doubling of the load, measured over
# the last LOAD_SECONDS in counters all server processes share. So a flood makes every request
# dearer, the flood's own most of all, and closes nothing.
POW_BASE_BITS = 14
POW_MAX_BITS = 26
LOAD_SECONDS = 60
NORMAL_LOAD = {"submit": 10, "receipt": 30, "reply": 30}

# Argon2id for receipts. A receipt carries 100 random bits: someone holding the database and
# the salt would need about 2**99 guesses whatever the hash costs, so the cost buys defence in
# depth only, while every report and every receipt typed (right or wrong) pays it on the server.
# It is kept small (8 MiB, one pass: about a tenth of OWASP's password setting), so that
# wrong receipts cannot be used to tie up the server's processors.
ARGON2_TIME_COST = 1
ARGON2_MEMORY_KIB = 8 * 1024
ARGON2_PARALLELISM = 1


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


# Forms sent without JavaScript carry no proof of work: each kind has a budget per period,
# shared by every server process, which only such forms use up. A flood through it closes it for
# forms without JavaScript, never for the others (see docs/security.md).
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit_without_pow": (8, 60),
    "receipt_without_pow": (15, 60),
    "reply_without_pow": (15, 60),
}
# Names that earlier versions accepted; proof of work replaced them. Ignored, with a warning.
OBSOLETE_LIMITS = frozenset(
    {
        "submit",
        "receipt",
        "receipt_failure",
        "receipt_failure_per_form",
        "reply",
        "reply_per_access",
    }
)


def limit(name: str) -> Limit:
    count, seconds = _limits().get(name, DEFAULT_LIMITS[name])
    return Limit(name, count, seconds)


def check_rate_limits(**kwargs: object) -> list[checks.CheckMessage]:
    """A system check: obsolete limit names are ignored, which the operator should know."""
    obsolete = sorted(name for name in _configured_limits() if name in OBSOLETE_LIMITS)
    if not obsolete:
        return []
    return [
        checks.Warning(
            "AMPARO_INTAKE_RATE_LIMITS names limits that no longer exist: " + ", ".join(obsolete),
            hint="Proof of work whose cost rises with the load replaced them; only "
            + ", ".join(sorted(DEFAULT_LIMITS))
            + " remain. Remove the others.",
            id="intake.W001",
        )
    ]


def _limits() -> dict[str, tuple[int, int]]:
    return {name: value for name, value in _configured_limits().items() if name in DEFAULT_LIMITS}


def _configured_limits() -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "AMPARO_INTAKE_RATE_LIMITS", "") or ""
    if isinstance(configured, dict):
        return dict(configured)
    limits: dict[str, tuple[int, int]] = {}
    for item in filter(None, (part.strip() for part in str(configured).split(","))):
        name, _sep, value = item.partition("=")
        count, _slash, seconds = value.partition("/")
        known = name.strip() in DEFAULT_LIMITS or name.strip() in OBSOLETE_LIMITS
        if not known or not count.isdigit() or not seconds.isdigit():
            raise ImproperlyConfigured(
                f"AMPARO_INTAKE_RATE_LIMITS: {item!r} is not name=count/seconds with a name among "
                + ", ".join(sorted(DEFAULT_LIMITS))
            )
        limits[name.strip()] = (int(count), max(1, int(seconds)))
    return limits


def receiving_organisation_code() -> str:
    return str(getattr(settings, "AMPARO_INTAKE_ORGANISATION", "") or "")


def nhri_reprisals_to_code() -> str:
    return str(getattr(settings, "AMPARO_INTAKE_NHRI_REPRISALS_TO", "") or "")


def retention_days() -> int:
    return int(getattr(settings, "AMPARO_INTAKE_RETENTION_DAYS", 180))
