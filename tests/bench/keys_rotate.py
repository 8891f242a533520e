"""`keys_rotate`: how long `amparo keys rotate` takes over 100,000 ciphertexts on SQLite.

Rows of the test-only model tests.fieldtest.Secret, each with one encrypted name (its blind index
is not a ciphertext and stays as it is), are written with bulk_create, then the command runs
exactly as an operator would run it, with its default batch size.
"""

from __future__ import annotations

import time
from io import StringIO

from django.core.management import call_command

from amparo.core import keys
from tests.bench import Figures, benchmark

ROWS = 100_000


@benchmark("keys_rotate")
def run() -> Figures:
    from tests.fieldtest.models import Secret

    call_command("migrate", verbosity=0)
    Secret.objects.all().delete()
    started = time.perf_counter()
    Secret.objects.bulk_create(
        (Secret(name=f"Defender {n:06d}, Comunidad San José de Apartadó") for n in range(ROWS)),
        batch_size=2_000,
    )
    filled = time.perf_counter() - started

    started = time.perf_counter()
    call_command("keys", "rotate", stdout=StringIO())
    seconds = time.perf_counter() - started

    status = keys.status()
    [primary] = [usage for usage in status.keys if usage.primary]
    assert primary.ciphertexts == ROWS, "every ciphertext must be under the new key"
    return {
        "ciphertexts": ROWS,
        "batch_size": keys.DEFAULT_BATCH_SIZE,
        "fill_seconds": round(filled, 2),
        "rotate_seconds": round(seconds, 2),
        "rows_per_s": round(ROWS / seconds),
    }
