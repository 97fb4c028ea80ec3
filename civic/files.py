"""Stored files that go with a change to the database."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def delete_after_commit(file) -> None:
    """Delete a stored file (a FieldFile) once the change that drops it has committed: a rollback
    leaves the row pointing at its file, which must still be there. Nothing for an empty one."""
    storage, name = file.storage, file.name
    if not name:
        return

    def delete() -> None:
        try:
            storage.delete(name)
        except OSError:  # a file already gone is the goal
            logger.warning("could not delete the stored file %s", name)

    transaction.on_commit(delete)
