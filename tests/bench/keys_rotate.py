"""`keys_rotate`: how long `amparo keys rotate` takes over 100,000 rows on SQLite.

Rows of the test-only model tests.fieldtest.Secret, each with one encrypted name and its blind
index, are written with bulk_create, then the command runs exactly as an operator would run it,
with its default batch size: first for the data key (every name re-encrypted; the blind indexes
stay as they are), then for the index key (every blind index recomputed from the decrypted name).
"""

from __future__ import annotations

import time
from io import StringIO

from django.core.management import call_command

from amparo.core import keys
from amparo.core.crypto import Purpose
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

    started = time.perf_counter()
    call_command("keys", "rotate", "--purpose", "index", stdout=StringIO())
    index_seconds = time.perf_counter() - started

    status = keys.status()
    for purpose in (Purpose.DATA, Purpose.INDEX):
        [primary] = [u for u in status.keys if u.primary and u.purpose is purpose]
        assert primary.uses == ROWS, f"every {purpose} value must be under the new key"
    return {
        "ciphertexts": ROWS,
        "batch_size": keys.DEFAULT_BATCH_SIZE,
        "fill_seconds": round(filled, 2),
        "rotate_seconds": round(seconds, 2),
        "rows_per_s": round(ROWS / seconds),
        "index_rotate_seconds": round(index_seconds, 2),
        "index_rows_per_s": round(ROWS / index_seconds),
    }
