"""Where the followed questions of an index are kept (`rag.follow`): with the index, shared by everyone using it.

An index folder keeps them in `follows.json` beside its generations (a readable, versioned file: `{"format": 2,
"follows": [...]}`, written whole and switched atomically, under its own lock so that a reader never sees half a
file); a PostgreSQL store in its table `rag_follows` (one row per followed question, its record as JSON). Both
give `read()` and `change(edit)`: the edit gets the list as stored and returns the new one, with nobody else
writing in between. The records themselves are `rag.follow`'s (plain JSON dictionaries here).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from rag.errors import IndexFormatError
from rag.store.postgres_database import Database, is_database_url

FOLLOWS_FILE = "follows.json"
FOLLOWS_LOCK = "follows.lock"
FOLLOWS_FORMAT = 2
"""The version of `follows.json`: a newer one is refused rather than misread. Format 2 added a question's
`pending` re-ask (`rag.follow.Pending`); a format-1 file reads as is (nothing pending) and is written as format 2
by its next change, which a version that knows only format 1 then refuses rather than drop what is pending."""

Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


class FollowStore(Protocol):
    """The followed questions of one index, as JSON records, oldest first."""

    def read(self) -> list[dict[str, Any]]: ...

    def change(self, edit: Edit) -> list[dict[str, Any]]:
        """Apply `edit` to the records with no other writer in between; the records written."""
        ...


class FileFollows:
    """`follows.json` in an index folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FOLLOWS_FILE

    def read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise IndexFormatError(f"{self.path} cannot be read ({error}): restore it or delete it to follow "
                                   "nothing") from None
        if not isinstance(data, dict) or data.get("format", 0) > FOLLOWS_FORMAT:
            raise IndexFormatError(f"{self.path} was written by a newer version (format {data.get('format')}): "
                                   "upgrade to read it")
        return list(data.get("follows", []))

    def change(self, edit: Edit) -> list[dict[str, Any]]:
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.folder / FOLLOWS_LOCK), timeout=60):
            records = edit(self.read())
            staging = self.path.with_suffix(".json.tmp")
            staging.write_text(json.dumps({"format": FOLLOWS_FORMAT, "follows": records}, ensure_ascii=False,
                                          indent=2) + "\n", "utf-8")
            os.replace(staging, self.path)
        return records


class DatabaseFollows:
    """The table `rag_follows` of a PostgreSQL store (created on first use)."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self._ready = False

    def _table(self, connection: Any) -> None:
        if not self._ready:
            connection.execute("CREATE TABLE IF NOT EXISTS rag_follows (position bigserial, id text PRIMARY KEY, "
                               "record jsonb NOT NULL)")
            self._ready = True

    def read(self) -> list[dict[str, Any]]:
        # Checked, as `change`: the first use may create the table, a write (`Database.connection`).
        with self.database.connection(checked=True) as connection:
            self._table(connection)
            rows = connection.execute("SELECT record FROM rag_follows ORDER BY position").fetchall()
        return [_record(row[0]) for row in rows]

    def change(self, edit: Edit) -> list[dict[str, Any]]:
        with self.database.connection(checked=True) as connection:
            self._table(connection)
            with connection.transaction():
                connection.execute("LOCK TABLE rag_follows IN EXCLUSIVE MODE")  # readers go on; writers wait
                rows = connection.execute("SELECT record FROM rag_follows ORDER BY position").fetchall()
                records = edit([_record(row[0]) for row in rows])
                kept = [record["id"] for record in records]
                connection.execute("DELETE FROM rag_follows WHERE NOT (id = ANY(%s))", (kept,))
                for record in records:
                    connection.execute(
                        "INSERT INTO rag_follows (id, record) VALUES (%s, %s::jsonb) "
                        "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                        (record["id"], json.dumps(record, ensure_ascii=False)))
        return records


def _record(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


def open_follows(location: str | Path) -> FileFollows | DatabaseFollows:
    """The followed questions of the index at `location` (a folder, or a PostgreSQL URL).

    >>> open_follows("index").path.name
    'follows.json'
    """
    if is_database_url(location):
        return DatabaseFollows(str(location))
    return FileFollows(location)
