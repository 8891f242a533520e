"""The cases app's background work (django-tasks: `settings.TASKS`)."""

from __future__ import annotations

from django_tasks import task

from amparo.cases.exchange import jobs


@task()
def run_import(job_id: int, secret: str = "") -> None:
    """Import the file of a queued job (amparo/cases/exchange/jobs.py), with the keys its
    request carried for it (`secret` opens them)."""
    jobs.run(job_id, secret)
