"""Imports as jobs: queued from the web, run by the task worker, followed on their page.

`queue` records the job and enqueues `tasks.run_import` once the request's transaction commits;
`run` (in the worker, or at once with the immediate task backend) reads the stashed file, imports
it with the job's progress, and keeps the problems of a failed import (encrypted with the job).
The command line runs the same import in its own process, with a progress bar (`import-cases`).
"""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.cases.exchange import huridocs, imports, stash
from amparo.cases.models import ImportJob
from amparo.cases.services import bulk, job_keys
from amparo.core import keychain
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError


def import_data(
    actor: User,
    organisation: Organisation,
    kind: str,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: imports.Progress | None = None,
) -> imports.ImportResult:
    """Import a file of either kind: a table (CSV, XLSX) or a HURIDOCS document."""
    if kind == ImportJob.Kind.HURIDOCS:
        return huridocs.import_document(
            actor, organisation, data, dry_run=dry_run, job=job, progress=progress
        )
    return imports.import_file(
        actor, organisation, data, filename, dry_run=dry_run, job=job, progress=progress
    )


def queue(
    actor: User, organisation: Organisation, kind: ImportJob.Kind, filename: str, upload: str
) -> ImportJob:
    """The job importing the stashed file `upload`, queued for the task worker."""
    from amparo.cases import tasks

    job = bulk.queue(actor, organisation, kind, filename, upload)
    secret = job_keys.carry(job)
    transaction.on_commit(lambda: tasks.run_import.enqueue(job.pk, secret))
    return job


def run(job_id: int, secret: str = "") -> None:
    """Run a queued job: everything or nothing, its outcome on the job. It runs with its own
    keychain: the keys its request carried for it (`job_keys`), opened with `secret`, and
    dropped when it ends."""
    job = ImportJob.objects.select_related("organisation", "created_by").get(pk=job_id)
    with keychain.using(keychain.Keychain()):
        try:
            if job.status == ImportJob.Status.QUEUED and job.created_by is not None:
                job_keys.open_carried(job, secret)
                _run(job)
        finally:
            job_keys.drop_carried(job)


def _run(job: ImportJob) -> None:
    assert job.created_by is not None
    stashed = stash.unstash(job.created_by, job.upload)
    if stashed is None:
        _failed(job, [_("This upload has expired. Upload the file again.")])
        return
    data, filename = stashed
    try:
        result = import_data(
            job.created_by,
            job.organisation,
            job.kind,
            data,
            filename,
            job=job,
            progress=lambda stage, done, total: bulk.progress(job, stage, done, total),
        )
    except (PermissionDenied, DomainError) as error:
        _failed(job, [str(error) or _("You may not record events for this organisation.")])
    except BaseException:
        _failed(job, [_("The import stopped on an unexpected error; nothing was written.")])
        raise
    else:
        if not result.ok:
            _failed(job, result.errors)
    stash.discard(job.upload)


def _failed(job: ImportJob, problems: list[imports.RowError] | list[str]) -> None:
    bulk.failed(
        job,
        [
            asdict(problem)
            if isinstance(problem, imports.RowError)
            else {"row": 0, "column": "", "value": "", "message": problem}
            for problem in problems
        ],
    )
