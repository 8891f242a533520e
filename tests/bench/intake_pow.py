"""`intake_pow`: what the intake's proof of work costs a browser, and what a flood makes it cost.

pow.js runs in Debian's Chromium (headless, one tab) on a page holding only a form with a puzzle,
for several numbers of zero bits; each figure is the median time until the form's "pow" field is
filled, over RUNS puzzles. From the measured hash rate, the table gives the bits the server asks
for while a flood of wrong receipts arrives at a given rate (services.admission.required_bits's
rule: one bit more for each doubling of the load beyond conf.NORMAL_LOAD), and the seconds a
browser then spends; plus what checking an answer costs the server.
"""

from __future__ import annotations

import math
import secrets
import statistics
import time
from pathlib import Path

from tests.bench import Figures, benchmark

REPOSITORY = Path(__file__).resolve().parents[2]
BITS = (14, 16, 18, 20)
RUNS = 7
FLOODS_PER_MINUTE = (30, 120, 600, 3_000, 30_000)


def _page(script: str, bits: int) -> str:
    prefix = f"{secrets.token_hex(16)}:"
    return (
        "<!DOCTYPE html><html><body>"
        f'<form data-pow-prefix="{prefix}" data-pow-bits="{bits}">'
        '<input name="pow" value=""></form>'
        f"<script>{script}</script></body></html>"
    )


def _browser_seconds(bits: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.plugins.environment import CHROMIUM_ARGS, chromium_path

    script = (REPOSITORY / "amparo/intake/static/intake/pow.js").read_text()
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path()), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        for _ in range(RUNS):
            page.set_content(
                _page(script, bits).replace("<script>", "<script>window.t0=Date.now();")
            )
            page.wait_for_function(
                "document.querySelector('input[name=pow]').value", timeout=300_000
            )
            times.append(page.evaluate("Date.now() - window.t0") / 1000)
        browser.close()
    return times


@benchmark("intake_pow")
def intake_pow() -> Figures:
    from amparo.intake import conf, tokens
    from tests.plugins.environment import browser_missing

    missing = browser_missing()
    if missing:
        return {"skipped": missing}
    browser = {}
    rates = []
    for bits in BITS:
        seconds = _browser_seconds(bits)
        browser[str(bits)] = {"median_s": round(statistics.median(seconds), 3), "runs": seconds}
        rates.append(2**bits / max(statistics.median(seconds), 1e-6))
    hashes_per_second = statistics.median(rates)

    token = tokens.issue(tokens.FOLLOW_UP, bits=conf.POW_BASE_BITS)
    started = time.perf_counter()
    for n in range(100_000):
        tokens.work(token, str(n))
    check_us = (time.perf_counter() - started) / 100_000 * 1e6

    normal = conf.NORMAL_LOAD["receipt"]
    floods = {}
    for rate in FLOODS_PER_MINUTE:
        extra = 0 if rate <= normal else math.ceil(math.log2(rate / normal))
        bits = min(conf.POW_MAX_BITS, conf.POW_BASE_BITS + extra)
        floods[f"{rate}/min"] = {
            "bits": bits,
            "expected_hashes": 2**bits,
            "browser_seconds": round(2**bits / hashes_per_second, 2),
            "flood_hashes_per_second": round(2**bits * rate / 60),
        }
    return {
        "browser_median_seconds_by_bits": browser,
        "browser_hashes_per_second": round(hashes_per_second),
        "server_check_microseconds": round(check_us, 2),
        "receipt_floods": floods,
    }
