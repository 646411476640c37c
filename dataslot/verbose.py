"""``dl.verbose`` and ``dl.token_expired()``, as dtlpy scripts use them.

``dl.verbose.logging_level = dl.VerboseLoggingLevel.DEBUG`` sets the level of the
``dataslot`` logger (where the SDK's warnings, such as settings not applied, go).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from dataslot import exceptions
from dataslot.client import default_client

logger = logging.getLogger("dataslot")


class VerboseLoggingLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Verbose:
    def __init__(self):
        self.print_all_responses = False
        self.disable_progress_bar = False

    @property
    def logging_level(self) -> str:
        return logging.getLevelName(logger.getEffectiveLevel()).lower()

    @logging_level.setter
    def logging_level(self, value) -> None:
        level = str(VerboseLoggingLevel(str(value).lower())).upper()
        logger.setLevel(level)
        if not logger.handlers and not logging.getLogger().handlers:
            # A script without logging configured still sees what it asked for.
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
            logger.addHandler(handler)

    def __repr__(self) -> str:
        return f"Verbose(logging_level={self.logging_level!r})"


verbose = Verbose()


def token_expired(client=None) -> bool:
    """True when there is no token or the server no longer accepts it (one request)."""
    client = client or default_client()
    if not client.token:
        return True
    try:
        client.request("GET", "/api/projects/", params={"page_size": 1})
    except (exceptions.Unauthorized, exceptions.Forbidden):
        return True
    return False
