"""The demo world's organisations and accounts (synthetic; no real person).

The first step of `amparo demo`, idempotent; the other steps build on it. Every demo
account shares one password and comes with an enrolled authenticator, whose current code
`amparo demo-totp USERNAME` prints so that a tester can log in without a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core import custody, services
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.demo.base import DemoError, DemoOptions, DemoStep, require_demo_mode

DEMO_PASSWORD = "amparo-demo-2026"


@dataclass(frozen=True)
class DemoOrganisation:
    short_code: str
    name: str
    kind: str
    country: str


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    organisation: str
    role: str
    clearance: Clearance
    superuser: bool = False


ORGANISATIONS = [
    DemoOrganisation(
        "NHRC-KE", "Demo National Human Rights Commission", Organisation.Kind.NHRI, "KE"
    ),
    DemoOrganisation("HRDN", "Demo Defenders Protection Network", Organisation.Kind.CSO, "CO"),
    DemoOrganisation(
        "SPM-KE", "Demo State Protection Mechanism for Defenders", Organisation.Kind.STATE, "KE"
    ),
    DemoOrganisation(
        "RHRM", "Demo Regional Human Rights Commission", Organisation.Kind.MECHANISM, ""
    ),
    DemoOrganisation(
        "GNFP",
        "Demo Global Network of HRD Focal Points Secretariat",
        Organisation.Kind.SECRETARIAT,
        "",
    ),
]

C = Clearance
ACCOUNTS = [
    DemoAccount("deploy.admin", "Dana", "Okafor", "NHRC-KE", Role.ADMINISTRATOR,
                C.STRICTLY_CONFIDENTIAL, superuser=True),
    DemoAccount("nhri.admin", "Amina", "Wanjiru", "NHRC-KE", Role.ADMINISTRATOR,
                C.STRICTLY_CONFIDENTIAL),
    DemoAccount("nhri.documentalist", "Joseph", "Mwangi", "NHRC-KE", Role.DOCUMENTALIST,
                C.CONFIDENTIAL),
    DemoAccount("nhri.verifier", "Grace", "Achieng", "NHRC-KE", Role.DOCUMENTALIST,
                C.CONFIDENTIAL),
    DemoAccount("nhri.analyst", "Peter", "Kamau", "NHRC-KE", Role.ANALYST, C.RESTRICTED),
    DemoAccount("nhri.focal", "Fatuma", "Hassan", "NHRC-KE", Role.FOCAL_POINT, C.CONFIDENTIAL),
    DemoAccount("nhri.reviewer", "Lucy", "Njeri", "NHRC-KE", Role.REVIEWER, C.RESTRICTED),
    DemoAccount("nhri.readonly", "Samuel", "Otieno", "NHRC-KE", Role.READ_ONLY, C.RESTRICTED),
    DemoAccount("network.admin", "Camila", "Restrepo", "HRDN", Role.ADMINISTRATOR,
                C.STRICTLY_CONFIDENTIAL),
    DemoAccount("network.documentalist", "Andrés", "Quintero", "HRDN", Role.DOCUMENTALIST,
                C.CONFIDENTIAL),
    DemoAccount("state.rep", "Daniel", "Kiprop", "SPM-KE", Role.STATE_REPRESENTATIVE,
                C.RESTRICTED),
    DemoAccount("mechanism.officer", "Claire", "Dubois", "RHRM", Role.MECHANISM, C.RESTRICTED),
    DemoAccount("secretariat.officer", "Layla", "Haddad", "GNFP", Role.NETWORK_SECRETARIAT,
                C.RESTRICTED),
]  # fmt: skip


@transaction.atomic
def build_accounts() -> list[DemoAccount]:
    """Create what is missing of the demo organisations and accounts; keep what exists."""
    require_demo_mode()
    organisations: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        existing = Organisation.objects.filter(short_code=spec.short_code).first()
        organisations[spec.short_code] = existing or services.create_organisation(
            None, name=spec.name, short_code=spec.short_code, kind=spec.kind, country=spec.country
        )
    for account in ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = services.create_user(
                None,
                username=account.username,
                password=DEMO_PASSWORD,
                email=f"{account.username}@demo.invalid",
                first_name=account.first_name,
                last_name=account.last_name,
                is_superuser=account.superuser,
            )
            # The account's personal key, as its first sign-in would make it (its recovery key
            # is not kept: the demo password is printed). Nothing is unlocked with it here.
            custody.set_up_personal_key(user, DEMO_PASSWORD)
            services.add_member(
                None,
                user=user,
                organisation=organisations[account.organisation],
                role=account.role,
                clearance=account.clearance,
            )
        if not services.has_confirmed_device(user):
            # Enrolled as a person enrols: a code of the authenticator confirms it.
            device = services.pending_totp_device(user)
            services.confirm_totp_device(user, device, _code(device))
    return ACCOUNTS


def current_totp_code(username: str) -> str:
    require_demo_mode()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise DemoError(f"{username!r} is not a demo account with an authenticator.")
    return _code(device)


def _code(device: TOTPDevice) -> str:
    """The code the device accepts next: the current half-minute's, or, when that one was
    used already (right after enrolment or a login), the next one's, which it also accepts."""
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = device.t0 + max(now.t(), device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"


def _build(options: DemoOptions) -> str:
    accounts = build_accounts()
    return f"{len(ORGANISATIONS)} organisations, {len(accounts)} accounts"


STEP = DemoStep("accounts", _build)
