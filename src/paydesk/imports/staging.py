"""Where the rows of an import file wait between the check and the write: a private, temporary
SQLite database on disk (stdlib `sqlite3`, deleted when closed), so that memory stays flat
however long the file is (docs/import.md, *Speed and memory*).

The first pass over the file adds every checked row here; the store then answers what the
check needs without holding the rows: the n-th identical row of a file without ids (its digest
gets `#n`), ids twice in the file, rows already imported, completed rows dated too early, and
finally the rows of one customer in time order, a batch at a time, for the write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from paydesk.imports.formats import SourceRow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
ADD_BATCH = 2000
CACHE_KIB = 16384  # the store's page cache; the rest waits on disk

_COLUMNS = (
    "ckey, at, moment, line, origin_key, digest, account, status, total, method, description, fee"
)


# The rows to import with a status dated before (<) or after (>) a moment, by line.
_DATED = {
    compare: "SELECT line, moment FROM row WHERE ckey = ? AND done = 0 AND status = ?"
    f" AND at {compare} ? ORDER BY line"
    for compare in ("<", ">")
}


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


class Staging:
    """The checked rows of one import, by customer key (a Paydesk customer id, or `new:NAME`
    for a customer the map creates)."""

    def __init__(self) -> None:
        # "": a private on-disk database, deleted when the connection closes.
        self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(
            "CREATE TABLE row (ckey TEXT, at INTEGER, moment TEXT, line INTEGER, origin_key TEXT,"
            " digest INTEGER, account TEXT, status TEXT, total TEXT, method TEXT,"
            " description TEXT, fee TEXT, done INTEGER NOT NULL DEFAULT 0)"
        )
        self.db.execute("BEGIN")
        self._pending: list[tuple[object, ...]] = []

    def add(self, ckey: str, row: SourceRow, *, digest: bool) -> None:
        """Keep `row` (its origin key without `#n` when `digest`: numbered by `finish`)."""
        self._pending.append(
            (
                ckey,
                _micros(row.occurred_at),
                row.occurred_at.isoformat(),
                row.line,
                row.origin_key,
                int(digest),
                row.account,
                row.status,
                str(row.total),
                row.method,
                row.description,
                None if row.fee is None else str(row.fee),
            )
        )
        if len(self._pending) >= ADD_BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany(
            f"INSERT INTO row ({_COLUMNS}) VALUES ({', '.join('?' * 12)})", self._pending
        )
        self._pending = []

    def finish(self) -> None:
        """After the last `add`: number identical digests in file order (`#2`, `#3`…) and index."""
        self._flush()
        self.db.execute(
            "UPDATE row SET origin_key = origin_key || '#' || numbered.n FROM ("
            " SELECT rowid AS rid, ROW_NUMBER() OVER (PARTITION BY origin_key ORDER BY line) AS n"
            " FROM row WHERE digest = 1) AS numbered"
            " WHERE row.rowid = numbered.rid AND numbered.n > 1"
        )
        self.db.execute("CREATE INDEX row_key ON row (ckey, origin_key, line)")
        self.db.execute("CREATE INDEX row_time ON row (ckey, at, line)")
        self.db.execute("COMMIT")

    def duplicates(self, ckey: str) -> Iterator[tuple[int, str, int]]:
        """(line, origin key, the line that had it first) of every later row with a key seen."""
        yield from self.db.execute(
            "SELECT line, origin_key, (SELECT MIN(line) FROM row AS first WHERE"
            " first.ckey = row.ckey AND first.origin_key = row.origin_key) AS first_line"
            " FROM row WHERE ckey = ? AND line > first_line ORDER BY line",
            (ckey,),
        ).fetchall()

    def mark_done(self, ckey: str, is_done: Callable[[list[str]], set[str]], chunk: int) -> None:
        """Mark the rows whose origin key `is_done` says was imported already (asked `chunk`
        distinct keys at a time)."""
        last = ""
        while True:
            keys = [
                key
                for (key,) in self.db.execute(
                    "SELECT DISTINCT origin_key FROM row WHERE ckey = ? AND origin_key > ?"
                    " ORDER BY origin_key LIMIT ?",
                    (ckey, last, chunk),
                )
            ]
            if not keys:
                return
            last = keys[-1]
            done = sorted(is_done(keys))
            for start in range(0, len(done), 500):
                part = done[start : start + 500]
                self.db.execute(
                    f"UPDATE row SET done = 1 WHERE ckey = ? AND origin_key IN"
                    f" ({', '.join('?' * len(part))})",
                    (ckey, *part),
                )

    def count(self, ckey: str, *, done: bool = False) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM row WHERE ckey = ? AND done = ?", (ckey, int(done))
        ).fetchone()[0]

    def completed_total(self, ckey: str, completed: str) -> Decimal:
        total = Decimal(0)
        for (value,) in self.db.execute(
            "SELECT total FROM row WHERE ckey = ? AND done = 0 AND status = ?", (ckey, completed)
        ):
            total += Decimal(value)
        return total

    def before(self, ckey: str, status: str, floor: datetime) -> Iterable[tuple[int, datetime]]:
        """(line, time) of the rows to import with `status` dated before `floor`."""
        return self._dated(ckey, status, "<", floor)

    def after(self, ckey: str, status: str, ceiling: datetime) -> Iterable[tuple[int, datetime]]:
        """(line, time) of the rows to import with `status` dated after `ceiling`."""
        return self._dated(ckey, status, ">", ceiling)

    def _dated(
        self, ckey: str, status: str, compare: str, moment: datetime
    ) -> Iterator[tuple[int, datetime]]:
        for line, text in self.db.execute(_DATED[compare], (ckey, status, _micros(moment))):
            yield line, datetime.fromisoformat(text)

    def rows(self, ckey: str, *, limit: int = -1) -> Iterator[SourceRow]:
        """The rows to import in time order. A newest-first file (its first row to import is
        later than its last) lists rows of the same second newest first too: those are read
        backwards, as the file would be."""
        ends = self.db.execute(
            "SELECT (SELECT at FROM row WHERE ckey = ?1 AND done = 0 ORDER BY rowid LIMIT 1),"
            " (SELECT at FROM row WHERE ckey = ?1 AND done = 0 ORDER BY rowid DESC LIMIT 1)",
            (ckey,),
        ).fetchone()
        order = "DESC" if ends[0] is not None and ends[0] > ends[1] else "ASC"
        cursor = self.db.execute(
            f"SELECT {_COLUMNS} FROM row WHERE ckey = ? AND done = 0"
            f" ORDER BY at, line {order} LIMIT ?",
            (ckey, limit),
        )
        while batch := cursor.fetchmany(ADD_BATCH):
            for (
                _ck,
                _at,
                moment,
                line,
                key,
                _dg,
                account,
                status,
                total,
                method,
                text,
                fee,
            ) in batch:
                yield SourceRow(
                    line=line,
                    account=account,
                    occurred_at=datetime.fromisoformat(moment),
                    total=Decimal(total),
                    status=status,
                    method=method,
                    description=text,
                    fee=None if fee is None else Decimal(fee),
                    origin_key=key,
                )

    def close(self) -> None:
        self.db.close()
