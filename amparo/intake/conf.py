"""The intake channel's settings, with their defaults and validation, read at call time.

Deployments set them in the environment (config/settings.py):
  AMPARO_INTAKE_ORGANISATION      short code of the organisation that receives /report/
  AMPARO_INTAKE_NHRI_REPRISALS_TO short code of the network secretariat that also receives
                                  reports of reprisals against an NHRI, its members or staff
  AMPARO_INTAKE_RETENTION_DAYS    days a closed submission is kept before `amparo intake purge`
  AMPARO_INTAKE_RATE_LIMITS       overrides of the rate limits, "name=count/seconds,...", e.g.
                                  "submit=60/60,submit_without_pow=10/60" (names below)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
# Everything but the files: the longest answers the form accepts, plus room for the field names.
MAX_FORM_BYTES = 256 * 1024
MAX_REQUEST_BYTES = MAX_FILES * MAX_FILE_BYTES + MAX_FORM_BYTES
MAX_FILES_PER_SUBMISSION = 50
MAX_TEXT_CHARS = 20_000
MAX_SHORT_TEXT_CHARS = 500
MAX_IMAGE_PIXELS = 60_000_000

# A form may stay open for a while: people write slowly, or stop and come back.
FORM_TOKEN_MAX_AGE = 6 * 3600
# How long a follow-up page stays usable after the receipt was entered.
ACCESS_MAX_AGE = 30 * 60
# The proof-of-work puzzle: the browser tries on average half of this many SHA-256 hashes.
POW_MAX_NUMBER = 60_000

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


# Global limits count every request of their kind; per-form limits count requests that carry the
# same form token (the closest thing to a session a cookie-less form has).
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (30, 60),
    "submit_without_pow": (8, 60),
    "receipt": (60, 60),
    "receipt_without_pow": (15, 60),
    "receipt_failure": (20, 60),
    "receipt_failure_per_form": (5, FORM_TOKEN_MAX_AGE),
    "reply": (60, 60),
    "reply_per_access": (10, ACCESS_MAX_AGE),
}


def limit(name: str) -> Limit:
    count, seconds = _limits().get(name, DEFAULT_LIMITS[name])
    return Limit(name, count, seconds)


def _limits() -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "AMPARO_INTAKE_RATE_LIMITS", "") or ""
    if isinstance(configured, dict):
        return dict(configured)
    limits: dict[str, tuple[int, int]] = {}
    for item in filter(None, (part.strip() for part in str(configured).split(","))):
        name, _sep, value = item.partition("=")
        count, _slash, seconds = value.partition("/")
        if name.strip() not in DEFAULT_LIMITS or not count.isdigit() or not seconds.isdigit():
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
