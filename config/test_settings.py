"""Settings for the test suite: config.settings in testing mode with a throw-away key ring."""

import os
import tempfile

os.environ["AMPARO_TESTING"] = "1"
os.environ.setdefault("AMPARO_VAR_DIR", tempfile.mkdtemp(prefix="amparo-test-var-"))

from config.settings import *  # noqa: F403

# Speed; Argon2 is tested apart.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# A key ring made for this run in the throw-away var directory; processes started by the suite
# inherit AMPARO_VAR_DIR and so share it. Tests that change keys point at their own file.
from amparo.core.crypto import ensure_keyring  # noqa: E402

AMPARO_KEY_FILE = VAR_DIR / "test-keyring.json"  # noqa: F405
ensure_keyring(AMPARO_KEY_FILE)

INSTALLED_APPS = [*INSTALLED_APPS, "tests.fieldtest"]  # noqa: F405

# WhiteNoise warns on every request when STATIC_ROOT is missing; the suite serves from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# pytest-django names a worker's test database "test_<NAME>_gw0" for any engine but Django's own
# SQLite one, a path relative to the working directory: the clone filled with database files.
# Name it inside the throw-away var directory instead.
if DATABASES["default"]["ENGINE"] == "amparo.core.sqlite" and not DATABASES["default"].get(  # noqa: F405
    "TEST", {}
).get("NAME"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Cheap key derivation: the production cost (about a second) is measured by the bench `unlock`.
AMPARO_KEY_DERIVATION = {"time_cost": 1, "memory_kib": 8, "parallelism": 1}
