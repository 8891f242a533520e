"""Settings for the test suite: config.settings in testing mode with a throw-away key ring."""

import os
import tempfile

os.environ["AMPARO_TESTING"] = "1"
os.environ.setdefault("AMPARO_VAR_DIR", tempfile.mkdtemp(prefix="amparo-test-var-"))

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; Argon2 is tested apart
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
