"""`unlock`: what signing in costs since issue 16, with the production key derivation.

Three figures, each the median of several runs: Argon2id alone (settings.AMPARO_KEY_DERIVATION of
config/settings.py, not the cheap test ones), `custody.unlock` (the derivation, unwrapping the
personal key and opening every grant: a member of two organisations with keys for all three
levels of each), and a whole sign-in through the login view (password, two-factor code, unlock,
session and cookie).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from tests.bench import Figures, benchmark

RUNS = 7
PASSWORD = "correct horse battery staple"


def _median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


@benchmark("unlock")
def run() -> Figures:
    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.urls import reverse
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.core import custody, sealing, services
    from amparo.core.models import Clearance, Role
    from config import settings as production

    call_command("migrate", verbosity=0)
    parameters = production.AMPARO_KEY_DERIVATION
    with override_settings(AMPARO_KEY_DERIVATION=parameters, AMPARO_KEY_ESCROW=False):
        argon2 = _median_seconds(lambda: sealing.derive_from_password(PASSWORD, sealing.new_salt()))
        # CPU time too: on a shared machine the wall clock also counts other processes' turns.
        started = time.process_time()
        sealing.derive_from_password(PASSWORD, sealing.new_salt())
        argon2_cpu = time.process_time() - started
        user = services.create_user(None, username="bench.focal", password=PASSWORD)
        for code in ("BENCH-A", "BENCH-B"):
            organisation = services.create_organisation(
                None, name=f"Bench {code}", short_code=code, kind="nhri"
            )
            services.add_member(
                None,
                user=user,
                organisation=organisation,
                role=Role.FOCAL_POINT,
                clearance=Clearance.STRICTLY_CONFIDENTIAL,
            )
        custody.set_up_personal_key(user, PASSWORD)
        grants = len(custody.unlock(user, PASSWORD).keychain.organisation_keys)
        unlock = _median_seconds(lambda: custody.unlock(user, PASSWORD))
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

        def sign_in() -> None:
            # Each sign-in uses up its code: the bench forgets it, to sign in again at once.
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
            code = f"{totp.token():06d}"
            response = Client().post(
                reverse("core:login"),
                {"username": user.username, "password": PASSWORD, "otp_token": code},
            )
            assert response.status_code == 302, response.status_code

        login = _median_seconds(sign_in, runs=3)
    return {
        "argon2id_parameters": parameters,
        "argon2id_seconds": round(argon2, 3),
        "argon2id_cpu_seconds": round(argon2_cpu, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "organisation_keys_opened": grants,
        "unlock_seconds": round(unlock, 3),
        "login_view_seconds": round(login, 3),
    }
