"""The keys an import job runs with (issue 16).

An import that changes recorded persons versions every event they appear in, which reads those
events' identities: the task worker, which holds nobody's key, must read them on behalf of the
person who started the import. When the job is queued from their request, their keys of the
job's organisation are wrapped under a random one-time secret: the wrapped keys are kept with the
job, the secret travels in the queued task's arguments. The worker opens them for the job only
(only those the person still holds a grant for) and the job deletes them when it ends, whatever
its outcome; the secret left in the task queue's records then opens nothing.

So while a job waits or runs, the server holds what opens those keys (the wrapped copy and the
secret, in two tables): docs/security.md says so.
"""

from __future__ import annotations

import secrets

from amparo.cases.models import ImportJob
from amparo.core import custody


def _name(job: ImportJob) -> str:
    return f"import {job.pk}"


def carry(job: ImportJob) -> str:
    """Wrap the current keychain's keys of the job's organisation for the worker; the secret
    that opens them ("" when no key is unlocked here: the job then runs with none)."""
    secret = secrets.token_urlsafe(32)
    carried = custody.keep_for_job(secret, _name(job), job.organisation)
    if carried is None:
        return ""
    job.carried_keys_salt, job.carried_keys = carried
    job.save(update_fields=["carried_keys_salt", "carried_keys"])
    return secret


def open_carried(job: ImportJob, secret: str) -> None:
    """Put the keys `carry` wrapped for `job` into the current keychain (the job's own)."""
    if secret and job.created_by is not None:
        custody.open_for_job(
            secret, _name(job), job.created_by, job.carried_keys_salt, job.carried_keys
        )


def drop_carried(job: ImportJob) -> None:
    """The job ended: its wrapped keys go."""
    ImportJob.objects.filter(pk=job.pk).update(carried_keys=None, carried_keys_salt=None)
