"""`crypto`: how fast the field cipher encrypts and decrypts one value, at two typical sizes.

Measured through `amparo.core.crypto.encrypt_text` / `decrypt_text`, the calls the model fields
make, so the figures include the key ring lookup and base64 text encoding, not AES-GCM alone.
"""

from __future__ import annotations

import secrets
import string

from amparo.core import crypto
from tests.bench import Figures, benchmark, best_seconds

PURPOSE = "bench.value.text"
# (label, plaintext bytes, values per timed run): a name or short note, and a long free-text note.
SIZES = [("200B", 200, 20_000), ("4kB", 4096, 5_000)]


@benchmark("crypto")
def run() -> Figures:
    figures: Figures = {}
    for label, size, count in SIZES:
        values = ["".join(secrets.choice(string.ascii_letters) for _ in range(size))]
        values *= count
        tokens = [crypto.encrypt_text(value, PURPOSE) for value in values]
        encrypt = best_seconds(lambda: [crypto.encrypt_text(v, PURPOSE) for v in values])
        decrypt = best_seconds(lambda: [crypto.decrypt_text(t, PURPOSE) for t in tokens])
        index = best_seconds(lambda: [crypto.index_value(v, PURPOSE) for v in values])
        figures[label] = {
            "plaintext_bytes": size,
            "ciphertext_chars": len(tokens[0]),
            "values_per_run": count,
            "encrypt_ops_per_s": round(count / encrypt),
            "decrypt_ops_per_s": round(count / decrypt),
            "encrypt_and_decrypt_ops_per_s": round(count / (encrypt + decrypt)),
            "encrypt_mb_per_s": round(count * size / encrypt / 1e6, 1),
            "decrypt_mb_per_s": round(count * size / decrypt / 1e6, 1),
            "blind_index_ops_per_s": round(count / index),
        }
    return figures
