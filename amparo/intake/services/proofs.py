"""The proof of report: a digest of what was sent and the server's seal over it and the time.

Nothing of the proof is stored: the digest can be recomputed from the submission, and the seal
lets the server confirm later that it gave this proof at this time."""

from __future__ import annotations

import datetime
import hashlib
import json

from django.core import signing
from django.utils.crypto import constant_time_compare

from amparo.intake.models import Submission

_PROOF_SALT = "amparo.intake.proof-of-report"


def proof_document(submission: Submission) -> dict[str, object]:
    """What the proof's digest covers: the answers as stored and the files first sent."""
    first_files = submission.attachments.filter(message__isnull=True).order_by("position")
    return {
        "format": "amparo-intake-report/1",
        "what_happened": submission.what_happened,
        "incident_date": submission.incident_date,
        "incident_date_precision": submission.incident_date_precision,
        "country": submission.country,
        "region": submission.region,
        "target": submission.target,
        "victim_name": submission.victim_name,
        "defender_types": list(submission.defender_types),
        "acts": list(submission.acts),
        "perpetrator": submission.perpetrator,
        "danger": submission.danger,
        "danger_details": submission.danger_details,
        "contact_method": submission.contact_method,
        "contact_details": submission.contact_details,
        "consent": {
            "partner": submission.consent_partner,
            "state": submission.consent_state,
            "international": submission.consent_international,
            "publication": submission.consent_publication,
        },
        "files": [
            {"name": item.name, "type": item.media_type, "sha256": item.sha256}
            for item in first_files
        ],
    }


def proof_digest(submission: Submission) -> str:
    """SHA-256 of the canonical JSON of `proof_document`: staff can recompute it to check a
    proof a reporter shows them."""
    canonical = json.dumps(
        proof_document(submission), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def proof_seal(digest: str, submitted_at: datetime.datetime) -> str:
    """The server's keyed signature over the digest and the time."""
    return signing.Signer(salt=_PROOF_SALT).signature(f"{digest}|{submitted_at.isoformat()}")


def proof_is_genuine(digest: str, submitted_at: datetime.datetime, seal: str) -> bool:
    return constant_time_compare(proof_seal(digest, submitted_at), seal.strip())
