"""Files of items in the default storage, written and removed together with their rows."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import transaction

log = logging.getLogger(__name__)


def delete_files(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # a file already gone is not an error worth failing a delete for
            log.warning("could not delete stored file %s", name, exc_info=True)


def delete_files_on_commit(names) -> None:
    """Remove files once the rows that referenced them are gone for good."""
    names = list(names)
    if names:
        transaction.on_commit(lambda: delete_files(names))
