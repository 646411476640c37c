"""Settings for the test suite: a throw-away DATASLOT_HOME, unless one is given."""

import os
import tempfile

os.environ.setdefault("DATASLOT_HOME", tempfile.mkdtemp(prefix="dataslot-test-"))
os.environ.setdefault("DATASLOT_DISPATCHER", "off")

from dataslot_server.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
