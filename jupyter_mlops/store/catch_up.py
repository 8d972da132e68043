"""Catching a copy up with its source: what each key of a table with one (`Shape.key`) needs.

A target remembers, in a table of its own (`copied_rows`, never copied), per source registry,
table and key, the digest of the row a copy from that source left there. A copy run again
compares three digests per key: the source's (S), the target's (T) and the remembered (R):

- S = T: nothing to do (remembered, if it was not, so that a registry an older release
  copied, or a copy killed between writing a row and remembering it, is known from then on);
- T = R: the target holds what the last copy wrote, so the source changed or removed it,
  and the target takes the source's row, or deletes its own;
- S = R: only the target changed (or removed) it: kept as it is, not copied over;
- anything else (both changed it, or the target holds it but it never came from this
  source), and a row the source no longer holds in a table whose rows no command deletes
  (a version, an audit event: a source restored from an older backup) is a clash: nothing
  is saved, and the copy is refused.

A row's digest is remembered in the write of the row (a registry file's, or DuckLake's
tables'); a shared catalog's aliases, kept in PostgreSQL (`lake_aliases`), which one DuckDB
transaction never writes together with DuckLake's, are remembered in a write after theirs,
never before: a copy killed between the two leaves the target's row equal to the source's
(remembered by the next copy), or a row the source removed gone from both (forgotten by the
next copy). Remembering first could leave a row the source changed looking like one changed
here, kept silently. (The source changing that row again before the next copy makes it one
changed on both sides: refused, never taken silently.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from jupyter_mlops.store.connection import analytics_cursor
from jupyter_mlops.store.copying import DIGEST, KEY, TABLE

if TYPE_CHECKING:
    import pyarrow as pa

MARKS = "copied_rows"
EQUAL, LACKING, OWN, REPLACED, REMOVED, KEPT, CLASH = (
    "equal", "lacking", "own", "replaced", "removed", "kept", "clash",
)  # fmt: skip
_STEP = "__mlops_step__"
# the tables a registry deletes rows of (an alias or drift setting removed, a tag set again,
# a profile replaced); a row of another the source no longer holds was not removed there,
# but lost (a source restored from an older backup): a clash, never deleted from the copy
DELETING = ("aliases", "tags", "drift_settings", "profiles")
_SHOWN_CLASHES = 3


@dataclass(frozen=True)
class Steps:
    """What catching up does to each key of the tables with one: the table, key and step
    (EQUAL, LACKING, OWN, REPLACED, REMOVED, KEPT or CLASH) of each."""

    keys: pa.Table

    def of(self, step: str, table: str | None = None) -> pa.Array:
        """The keys (as JSON) of `table` (of every table: None) that take `step`."""
        import pyarrow.compute as pc

        found = pc.equal(self.keys[_STEP], step)
        if table is not None:
            found = pc.and_(found, pc.equal(self.keys[TABLE], table))
        return self.keys.filter(found)[KEY].combine_chunks()

    def count(self, step: str, table: str) -> int:
        return len(self.of(step, table))

    @property
    def clashes(self) -> dict[str, list[str]]:
        """The keys (as JSON) both sides changed, by table (at most 3 of each)."""
        import pyarrow.compute as pc

        clashing = self.keys.filter(pc.equal(self.keys[_STEP], CLASH))
        found: dict[str, list[str]] = {}
        pairs = zip(clashing[TABLE].to_pylist(), clashing[KEY].to_pylist(), strict=True)
        for table, key in sorted(pairs):
            shown = found.setdefault(table, [])
            if len(shown) < _SHOWN_CLASHES:
                shown.append(key)
        return found


def marks(
    conn: duckdb.DuckDBPyConnection, source: str, *, tables: list[str] | None = None
) -> pa.Table:
    """The table, key and digest of every row a copy from `source` left in this registry
    (in `tables`, if given)."""
    return conn.execute(
        f"SELECT table_name AS {TABLE}, row_key AS {KEY}, digest AS {DIGEST} FROM {MARKS} "
        "WHERE source = ? AND (? IS NULL OR list_contains(?, table_name))",
        [source, tables, tables],
    ).to_arrow_table()


def steps(source: pa.Table, target: pa.Table, remembered: pa.Table) -> Steps:
    """The step each key takes, from the source's rows, the target's and the remembered
    (each a table, key and digest per row; rows without a key take none)."""
    with analytics_cursor() as conn:
        for name, found in (("s", source), ("t", target), ("r", remembered)):
            conn.register(f"{name}_rows", found.select([TABLE, KEY, DIGEST]))
        keyed = "SELECT {0}, {1}, {2} AS {3} FROM {4}_rows WHERE {1} IS NOT NULL"
        return Steps(
            conn.execute(
                f"""WITH s AS ({keyed.format(TABLE, KEY, DIGEST, "s", "s")}),
                         t AS ({keyed.format(TABLE, KEY, DIGEST, "t", "t")}),
                         r AS ({keyed.format(TABLE, KEY, DIGEST, "r", "r")}),
                         joined AS (SELECT * FROM s FULL JOIN t USING ({TABLE}, {KEY})
                                    FULL JOIN r USING ({TABLE}, {KEY}))
                    SELECT {TABLE}, {KEY}, CASE
                        WHEN s IS NOT DISTINCT FROM t THEN '{EQUAL}'
                        WHEN t IS NULL AND r IS NULL THEN '{LACKING}'
                        WHEN s IS NULL AND r IS NULL THEN '{OWN}'
                        WHEN s IS NULL AND {TABLE} NOT IN {DELETING} THEN '{CLASH}'
                        WHEN t IS NOT DISTINCT FROM r THEN
                            CASE WHEN s IS NULL THEN '{REMOVED}' ELSE '{REPLACED}' END
                        WHEN s IS NOT DISTINCT FROM r THEN '{KEPT}'
                        ELSE '{CLASH}' END AS {_STEP}
                    FROM joined"""
            ).to_arrow_table()
        )


def unremembered(source: pa.Table, target: pa.Table, remembered: pa.Table) -> pa.Table:
    """What remembering changes: the table and key of each remembered row to delete, and the
    digest to remember in its place (none: forgotten). A key the target holds as the source
    does is remembered with its digest; one neither holds any more is forgotten."""
    with analytics_cursor() as conn:
        for name, found in (("s", source), ("t", target), ("r", remembered)):
            conn.register(f"{name}_rows", found.select([TABLE, KEY, DIGEST]))
        return conn.execute(
            f"""WITH s AS (SELECT * FROM s_rows WHERE {KEY} IS NOT NULL),
                     t AS (SELECT * FROM t_rows WHERE {KEY} IS NOT NULL),
                     equal AS (SELECT {TABLE}, {KEY}, {DIGEST} FROM s JOIN t
                               USING ({TABLE}, {KEY}, {DIGEST})),
                     gone AS (SELECT {TABLE}, {KEY}, NULL::VARCHAR AS {DIGEST} FROM r_rows r
                              WHERE NOT EXISTS (SELECT 1 FROM s
                                                WHERE s.{TABLE} = r.{TABLE} AND s.{KEY} = r.{KEY})
                                AND NOT EXISTS (SELECT 1 FROM t
                                                WHERE t.{TABLE} = r.{TABLE} AND t.{KEY} = r.{KEY}))
                SELECT * FROM equal
                WHERE NOT EXISTS (SELECT 1 FROM r_rows r WHERE r.{TABLE} = equal.{TABLE}
                                  AND r.{KEY} = equal.{KEY} AND r.{DIGEST} = equal.{DIGEST})
                UNION ALL SELECT * FROM gone"""
        ).to_arrow_table()


def remember(conn: duckdb.DuckDBPyConnection, source: str, changes: pa.Table) -> None:
    """Apply `unremembered`'s changes for `source`, in `conn`'s transaction: a delete, then
    an insert (a shared catalog has no key to conflict on)."""
    if not changes.num_rows:
        return
    conn.register("remembering", changes)
    try:
        conn.execute(
            f"""DELETE FROM {MARKS} WHERE source = ? AND EXISTS (
                    SELECT 1 FROM remembering r
                    WHERE r.{TABLE} = table_name AND r.{KEY} = row_key)""",
            [source],
        )
        conn.execute(
            f"""INSERT INTO {MARKS} (source, table_name, row_key, digest)
                SELECT ?, {TABLE}, {KEY}, {DIGEST} FROM remembering WHERE {DIGEST} IS NOT NULL""",
            [source],
        )
    finally:
        conn.unregister("remembering")


def written(table: str, *, removed: pa.Array, added: pa.Table | None = None) -> pa.Table:
    """What remembering a write of `table` changes: the keys it `removed` forgotten, and the
    rows it `added` (key and digest each) remembered; as `unremembered` gives them."""
    import pyarrow as pa

    keys, digests = [removed], [pa.nulls(len(removed), pa.string())]
    if added is not None:
        keys.append(added[KEY].combine_chunks().cast(pa.string()))
        digests.append(added[DIGEST].combine_chunks().cast(pa.string()))
    key = pa.concat_arrays([k.cast(pa.string()) for k in keys])
    return pa.table(
        {TABLE: pa.array([table] * len(key), pa.string()), KEY: key,
         DIGEST: pa.concat_arrays(digests)}
    )  # fmt: skip


def delete(
    conn: duckdb.DuckDBPyConnection, table: str, *, stored: str, key: str, keys: pa.Array
) -> None:
    """Delete the rows of `table` (written to as `stored`) whose key (`key`, the SQL giving
    it as JSON) is among `keys`."""
    import pyarrow as pa

    if not len(keys):
        return
    conn.register("doomed_keys", pa.table({KEY: keys}))
    try:
        conn.execute(f"DELETE FROM {stored} WHERE {key} IN (SELECT {KEY} FROM doomed_keys)")
    finally:
        conn.unregister("doomed_keys")


def merged(found: Steps, table: str, *, source: pa.Table, target: pa.Table) -> pa.Table:
    """The rows of `table` (with keys) the target holds once caught up: the source's of the
    keys it takes or holds as the source does, the target's of those it keeps (its own, or
    changed only there); what a rule across rows (an alias on a live version) is checked on
    before anything is written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def keys(*chosen: str) -> pa.Array:
        return pa.concat_arrays([found.of(step, table).cast(pa.string()) for step in chosen])

    taken = source.filter(pc.is_in(source[KEY].cast(pa.string()), keys(EQUAL, LACKING, REPLACED)))
    kept = target.filter(pc.is_in(target[KEY].cast(pa.string()), keys(OWN, KEPT)))
    return pa.concat_tables([taken, kept.select(taken.column_names)])


def step_of(found: Steps, table: str, key: str) -> str | None:
    """The step `key` (as JSON) of `table` takes (none: neither side holds it)."""
    import pyarrow.compute as pc

    keys = found.keys
    chosen = keys.filter(pc.and_(pc.equal(keys[TABLE], table), pc.equal(keys[KEY], key)))
    return chosen[_STEP][0].as_py() if chosen.num_rows else None


def without(index: pa.Table, found: Steps, step: str) -> pa.Table:
    """The rows of `index` (table, key and digest each) but those whose key takes `step`."""
    import pyarrow.compute as pc

    keys = found.keys.filter(pc.equal(found.keys[_STEP], step)).select([TABLE, KEY])
    with analytics_cursor() as conn:
        conn.register("index_rows", index.select([TABLE, KEY, DIGEST]))
        conn.register("skipped_keys", keys)
        return conn.execute(
            f"SELECT * FROM index_rows ANTI JOIN skipped_keys USING ({TABLE}, {KEY})"
        ).to_arrow_table()
