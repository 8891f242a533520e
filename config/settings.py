"""Amparo settings, read from the environment.

Environment variables:
  AMPARO_DATABASE_URL   database URL (default: SQLite file var/amparo.sqlite3)
  AMPARO_SECRET_KEY     Django secret key (required in production)
  AMPARO_KEY_FILE       JSON key ring for field encryption (required in production)
  AMPARO_DEBUG          "1" for Django's debug mode (never in production)
  AMPARO_DEMO           "1" for the demo: generates its own secrets under var/demo/
  AMPARO_EMAIL_URL      smtp://user:password@host:587?tls=1, console://, locmem://, file:///path
  AMPARO_ALLOWED_HOSTS  comma-separated host names (required in production)
  AMPARO_VAR_DIR        where the SQLite database, demo secrets and benchmarks live (default: var/)
  AMPARO_INTAKE_*       the secure intake channel: see amparo/intake/conf.py
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

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


def demo_secret_key() -> str:
    """The demo keeps its own random secret key under var/demo/, made at first run."""
    path = DEMO_DIR / "secret_key"
    if not path.exists():
        DEMO_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
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
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amparo.core.middleware.SessionGenerationMiddleware",
    "amparo.core.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "amparo.core.middleware.SecurityHeadersMiddleware",
]

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
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
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

# Login throttling by username (amparo.core.throttle): no IP address is ever stored.
AMPARO_LOGIN_FAILURE_LIMIT = int(os.environ.get("AMPARO_LOGIN_FAILURE_LIMIT", "5"))
AMPARO_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("AMPARO_LOGIN_LOCKOUT_MINUTES", "15"))

# The secure intake channel (amparo/intake/conf.py describes these). The demo's receiving
# organisation and network secretariat are those `amparo demo` creates.
AMPARO_INTAKE_ORGANISATION = os.environ.get("AMPARO_INTAKE_ORGANISATION", "NHRC-KE" if DEMO else "")
AMPARO_INTAKE_NHRI_REPRISALS_TO = os.environ.get(
    "AMPARO_INTAKE_NHRI_REPRISALS_TO", "GNFP" if DEMO else ""
)
AMPARO_INTAKE_RETENTION_DAYS = int(os.environ.get("AMPARO_INTAKE_RETENTION_DAYS", "180"))
AMPARO_INTAKE_RATE_LIMITS = os.environ.get("AMPARO_INTAKE_RATE_LIMITS", "")

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
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
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
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parts.path,
        }
    if parts.scheme in {"smtp", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true"},
        }
    raise ImproperlyConfigured(
        f"AMPARO_EMAIL_URL has an unknown scheme {parts.scheme!r}: "
        "use smtp://, smtps://, console://, locmem:// or file://."
    )


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
