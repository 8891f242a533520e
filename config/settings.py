"""Amparo settings, read from the environment.

Environment variables:
  AMPARO_DATABASE_URL   database URL (default: SQLite file var/amparo.sqlite3)
  AMPARO_SECRET_KEY     Django secret key (required in production)
  AMPARO_KEY_FILE       JSON key ring for field encryption (required in production)
  AMPARO_AUDIT_ANCHOR_FILE  where the audit chain's newest head is kept (default: beside the key
                        ring, audit-anchor.json)
  AMPARO_AUDIT_ANCHOR_SINK  also send each head to syslog, syslog://host[:port],
                        syslog+tcp://host[:port] or an http(s):// URL (default: none)
  AMPARO_DEBUG          "1" for Django's debug mode (never in production)
  AMPARO_DEMO           "1" for the demo: generates its own secrets under var/demo/
  AMPARO_EMAIL_URL      smtp://user:password@host:587?tls=1 (STARTTLS) or ?ssl=1 (TLS),
                        submission://user:password@host, console://, memory://, file:////path
                        (read by dj-email-url)
  AMPARO_TASKS          "database" (a worker runs them: `amparo db_worker`) or "immediate"
                        (in the process that queues them); default: database in production,
                        immediate for the demo, development and tests
  AMPARO_ALLOWED_HOSTS  comma-separated host names (required in production)
  AMPARO_VAR_DIR        where the SQLite database, demo secrets and benchmarks live (default: var/)
  AMPARO_UPLOAD_MAX_BYTES  the largest file staff may upload, e.g. to import (default: 20 MB)
  AMPARO_INTAKE_*       the secure intake channel: see amparo/intake/conf.py
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from amparo.core.audit_sink import parse_sink
from amparo.core.private_files import private_directory, write_private_text

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AMPARO_VAR_DIR", BASE_DIR / "var"))


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def require_env(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. {why} Set it in the environment (see README, 'Production')."
        )
    return value


DEBUG = env_flag("AMPARO_DEBUG")
DEMO = env_flag("AMPARO_DEMO")
TESTING = env_flag("AMPARO_TESTING")
RELAXED = DEBUG or DEMO or TESTING
DEMO_DIR = VAR_DIR / "demo"

# var/ holds the SQLite database, import previews and the demo's keys: this account's only
# (amparo.core.private_files). Best effort: a process that never uses var/ still starts where
# it cannot be made, and the first use names the problem.
with contextlib.suppress(OSError):
    private_directory(VAR_DIR)
    if DEMO:
        private_directory(DEMO_DIR)


def demo_secret_key() -> str:
    """The demo keeps its own random secret key under var/demo/, made at first run."""
    path = private_directory(DEMO_DIR) / "secret_key"
    if not path.exists():
        write_private_text(path, secrets.token_urlsafe(50))
    return path.read_text().strip()


if os.environ.get("AMPARO_SECRET_KEY"):
    SECRET_KEY = os.environ["AMPARO_SECRET_KEY"]
elif RELAXED:
    SECRET_KEY = demo_secret_key() if DEMO else "insecure-development-and-test-only-key"
else:
    SECRET_KEY = require_env("AMPARO_SECRET_KEY", "Django needs a long random secret key.")

if os.environ.get("AMPARO_KEY_FILE"):
    AMPARO_KEY_FILE: Path | None = Path(os.environ["AMPARO_KEY_FILE"])
elif RELAXED:
    # The demo's key ring is made by `amparo keys generate` (make run); tests make their own.
    AMPARO_KEY_FILE = DEMO_DIR / "keyring.json" if DEMO else None
else:
    AMPARO_KEY_FILE = Path(
        require_env("AMPARO_KEY_FILE", "Confidential fields cannot be encrypted without keys.")
    )

# The audit chain's head outside the database (amparo.core.audit_anchor). None: beside the key
# ring. The sink is checked here, so that a typo stops the start instead of every send.
AMPARO_AUDIT_ANCHOR_FILE = os.environ.get("AMPARO_AUDIT_ANCHOR_FILE") or None
AMPARO_AUDIT_ANCHOR_SINK = os.environ.get("AMPARO_AUDIT_ANCHOR_SINK", "").strip()
parse_sink(AMPARO_AUDIT_ANCHOR_SINK)

if os.environ.get("AMPARO_ALLOWED_HOSTS"):
    ALLOWED_HOSTS = [h.strip() for h in os.environ["AMPARO_ALLOWED_HOSTS"].split(",") if h.strip()]
elif RELAXED:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
else:
    ALLOWED_HOSTS = require_env(
        "AMPARO_ALLOWED_HOSTS", "Name the host(s) Amparo answers on."
    ).split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "amparo.core",
    "amparo.cases",
    "amparo.api",
    "amparo.intake",
    "amparo.recommendations",
    "amparo.network",
    "amparo.stats",
    "amparo.warning",
    "amparo.response",
    "amparo.portal",
    "amparo.demo",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "amparo.core.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amparo.core.middleware.SessionGenerationMiddleware",
    "amparo.core.keychain.UnlockedKeysMiddleware",
    "amparo.core.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "amparo.core.middleware.SecurityHeadersMiddleware",
]

# A strict Content-Security-Policy with no external source, on every response (django-csp). A
# view may set a stricter one of its own (the intake pages do): django-csp keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Background work (django-tasks). In production a worker runs queued tasks from the database
# (`amparo db_worker`, beside the web server). The demo, development and tests run each task in
# the process that queues it, once its transaction commits: `make run` stays one process, and a
# second one polling SQLite would only contend for its single write lock.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks = os.environ.get("AMPARO_TASKS", "immediate" if RELAXED else "database")
if _tasks not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"AMPARO_TASKS is {_tasks!r}: use {' or '.join(repr(name) for name in TASK_BACKENDS)}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks]}}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "amparo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amparo.core.context_processors.navigation",
            ],
        },
    }
]


def database_config() -> dict[str, Any]:
    url = os.environ.get("AMPARO_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'amparo.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, with the database file and its -wal and -shm made private.
        config["ENGINE"] = "amparo.core.sqlite"
        config["CONN_MAX_AGE"] = 0
        # WAL and a busy timeout let the web server and a CLI command share the file.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    test_url = os.environ.get("AMPARO_TEST_DATABASE_URL")
    if test_url:
        test_config = dict(dj_database_url.parse(test_url))
        # Options belong to the engine they were written for, and the test database's may differ.
        config.update(test_config)
        config["OPTIONS"] = test_config.get("OPTIONS", {})
        config["TEST"] = {"NAME": test_config.get("NAME")}
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# AxesStandaloneBackend refuses any authenticate() while its client is paused; the sign-in
# service (amparo.core.services.sign_in) asks first, so its refusals say why.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Sign-in throttling (django-axes), per account and browser: amparo/core/device_cookie.py says
# how. Axes sees a stand-in request with no address, user agent or form data; the browser's
# label takes the user agent's place, the username is a keyed digest, and it keeps no log of
# sign-ins or failures beyond the attempts it counts (which expire after the cool-off time).
AXES_FAILURE_LIMIT = int(os.environ.get("AMPARO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AMPARO_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "user_agent"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_USERNAME_CALLABLE = "amparo.core.device_cookie.axes_username"
AXES_CLIENT_IP_CALLABLE = "amparo.core.device_cookie.axes_no_address"
AXES_CLIENT_STR_CALLABLE = "amparo.core.device_cookie.axes_client_str"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_RESET_ON_SUCCESS = False  # the sign-in service forgets a known browser's failures
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "user_agent", "otp_token"]
SILENCED_SYSTEM_CHECKS = [
    # No AxesMiddleware: axes never sees the real request, the sign-in service answers.
    "axes.W002",
    # Not the IP address, which Amparo never keeps: the browser's label (see above), which an
    # attacker cannot rotate out of the shared "new browsers" count.
    "axes.W006",
]

# The secure intake channel (amparo/intake/conf.py describes these). The demo's receiving
# organisation and network secretariat are those `amparo demo` creates.
AMPARO_INTAKE_ORGANISATION = os.environ.get("AMPARO_INTAKE_ORGANISATION", "NHRC-KE" if DEMO else "")
AMPARO_INTAKE_NHRI_REPRISALS_TO = os.environ.get(
    "AMPARO_INTAKE_NHRI_REPRISALS_TO", "GNFP" if DEMO else ""
)
AMPARO_INTAKE_RETENTION_DAYS = int(os.environ.get("AMPARO_INTAKE_RETENTION_DAYS", "180"))
AMPARO_INTAKE_RATE_LIMITS = os.environ.get("AMPARO_INTAKE_RATE_LIMITS", "")

# Statistics: outside the owning organisation, counts below this are shown as "<N".
AMPARO_STATS_SMALL_CELL_THRESHOLD = int(os.environ.get("AMPARO_STATS_SMALL_CELL_THRESHOLD", "5"))

SESSION_COOKIE_AGE = int(os.environ.get("AMPARO_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not RELAXED
CSRF_COOKIE_SECURE = not RELAXED
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not RELAXED:
    SECURE_HSTS_SECONDS = 31536000
    # The header covers names under Amparo's own host (amparo.example.org), not its siblings.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The TLS proxy redirects plain HTTP already; if it is ever misconfigured, Django still
    # refuses to serve a page over HTTP.
    SECURE_SSL_REDIRECT = True
# HSTS preloading commits the whole registered domain (the institution's, of which Amparo's
# host is usually one name) to HTTPS in browsers for months: that decision is the domain
# owner's, made by submitting the domain to the preload list, not a default we can set.
SILENCED_SYSTEM_CHECKS += ["security.W021"]

OTP_TOTP_ISSUER = "Amparo"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Uploads stay in memory, never in the temporary directory (amparo/core/uploads.py).
FILE_UPLOAD_HANDLERS = ["amparo.core.uploads.MemoryOnlyUploadHandler"]
AMPARO_UPLOAD_MAX_BYTES = int(os.environ.get("AMPARO_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Nothing stores files through Django's storage today; any that does keeps them private.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if RELAXED
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = RELAXED
if RELAXED:
    # Served from the apps' static folders; the empty root only keeps WhiteNoise from warning.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)


def email_config(url: str) -> dict[str, Any]:
    """Django's e-mail settings from AMPARO_EMAIL_URL (dj-email-url), refusing a scheme it
    does not know instead of silently keeping Django's default backend."""
    config = dict(dj_email_url.parse(url))
    if "EMAIL_BACKEND" not in config:
        scheme = urlsplit(url).scheme
        raise ImproperlyConfigured(
            f"AMPARO_EMAIL_URL has an unknown scheme {scheme!r}: use smtp://, submission://, "
            "console://, memory:// or file://."
        )
    return config


if os.environ.get("AMPARO_EMAIL_URL"):
    _email = email_config(os.environ["AMPARO_EMAIL_URL"])
elif RELAXED:
    _email = email_config("console://")
else:
    _email = email_config(require_env("AMPARO_EMAIL_URL", "Amparo sends notifications by email."))
globals().update(_email)
DEFAULT_FROM_EMAIL = os.environ.get("AMPARO_FROM_EMAIL", "amparo@localhost")

# Logs carry no IP address, user agent or request object: every handler passes records through
# amparo.core.logfilters.DropClientMetadata, and error reports are never mailed (they would include
# request headers).
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_metadata": {"()": "amparo.core.logfilters.DropClientMetadata"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_client_metadata"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "amparo": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
ADMINS: list[tuple[str, str]] = []

# Keys that only people hold (issue 16, docs/security.md). Deriving a key from a password costs
# about one second on purpose (Argon2id; measured on the development machine: see the note in
# docs/security.md); the test settings make it cheap.
AMPARO_KEY_DERIVATION = {
    "time_cost": int(os.environ.get("AMPARO_KEY_DERIVATION_TIME_COST", "2")),
    "memory_kib": int(os.environ.get("AMPARO_KEY_DERIVATION_MEMORY_KIB", str(256 * 1024))),
    "parallelism": int(os.environ.get("AMPARO_KEY_DERIVATION_PARALLELISM", "1")),
}
# Escrow to administrators: each organisation's administrators receive its keys for every level,
# whatever their clearance, so that the organisation's data survives every other member losing
# both password and recovery key. Off by default; the account page says which.
AMPARO_KEY_ESCROW = env_flag("AMPARO_KEY_ESCROW")
