"""What a PostgreSQL role may do to a shared registry's catalog, asked of PostgreSQL once.

A role writes when it holds INSERT, UPDATE and DELETE on the catalog's tables. A team gives
each person a login role of their own, a member of one group role that owns the tables
(README: Team mode, Roles), and each person's URL says `options=-crole=GROUP`, so a write
acts as the group: the tables a write makes (DuckLake makes some as tables are added or
changed, and the writer lock's) are the group's, which every member may use and whose
default grants let the readers read. A member that acts as itself would make tables only it
may use: `Rights.owner` names the group it should act as. Who a change is recorded as is
the person (`session_user`), whatever role the write acts as.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import ForbiddenError

WRITE_RIGHTS = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Rights:
    """What this session's role may do to the catalog."""

    missing: list[str]  # the write rights it lacks on the catalog's tables
    owner: str | None  # the role owning them, when the session is its member acting as itself


def rights(session: Any, schema: str) -> Rights:
    """The rights of `session`'s role on the catalog in `schema`."""
    snapshots = f"{_ident(schema)}.ducklake_snapshot"
    held = ", ".join("has_table_privilege(current_user, %s, %s)" for _ in WRITE_RIGHTS)
    row = session.execute(
        f"""SELECT {held}, r.rolname, pg_has_role(current_user, r.oid, 'MEMBER'), current_user
            FROM (SELECT 1) one LEFT JOIN pg_class c ON c.oid = to_regclass(%s)
            LEFT JOIN pg_roles r ON r.oid = c.relowner""",
        [*(value for right in WRITE_RIGHTS for value in (snapshots, right)), snapshots],
    ).fetchone()
    flags, (owner, member, acting) = row[: len(WRITE_RIGHTS)], row[len(WRITE_RIGHTS) :]
    missing = [right for right, has in zip(WRITE_RIGHTS, flags, strict=True) if not has]
    other = owner is not None and owner != acting and bool(member)
    return Rights(missing, str(owner) if other else None)


def refusal(found: Rights, role: str, shown: str) -> ForbiddenError | None:
    """Why `role`, holding `found` on the catalog (`shown`), may not write it: a role that may
    only read, or one that would make tables of its own where they must be its team's group
    role's (None: it may write)."""
    if found.missing:
        return ForbiddenError(
            f"PostgreSQL role {role!r} may only read the {shown} (it lacks "
            f"{', '.join(found.missing)} on its catalog tables), so nothing was changed; "
            "ask the catalog's owner to grant them, or connect as a role that has them."
        )
    if found.owner is not None:
        return ForbiddenError(
            f"PostgreSQL role {role!r} would write the {shown} as itself, "
            f"though its tables belong to role {found.owner!r} (tables its writes make "
            f"would belong to {role!r} alone), so nothing was changed; add "
            f"options=-crole={found.owner} to the URL (README: Team mode, Roles)."
        )
    return None


def unreadable(session: Any, schema: str) -> tuple[str, list[str]]:
    """The role `session` logged in as, and the catalog's tables in `schema` its role may not
    read (DuckLake's own and the aliases'), which DuckLake's reads then fail on as if
    PostgreSQL had broken off (a grant given once, not by default privileges, misses the
    tables DuckLake makes later, as it keeps inlined rows)."""
    rows = session.execute(
        """SELECT session_user, c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v')
            AND (c.relname LIKE 'ducklake\\_%%' OR c.relname LIKE 'mlops\\_alias%%')
            AND NOT has_table_privilege(current_user, c.oid, 'SELECT')
            ORDER BY c.relname""",
        [schema],
    ).fetchall()
    return (str(rows[0][0]) if rows else "", [str(row[1]) for row in rows])


def unreadable_refusal(role: str, tables: list[str], shown: str, schema: str) -> ForbiddenError:
    """Why `role` may not read the catalog (`shown`): the tables PostgreSQL keeps from it."""
    named = ", ".join(tables[:3]) + (f" and {len(tables) - 3} more" if len(tables) > 3 else "")
    return ForbiddenError(
        f"PostgreSQL role {role!r} may not read the {shown} (it lacks SELECT on {named} in "
        f"schema {schema!r}), so this call did nothing; ask the catalog's owner to grant SELECT on "
        "every table of the schema, by default privileges too (README: Team mode, Roles), or "
        "connect as a role that has it."
    )


def may_make(session: Any, schema: str) -> bool:
    """Whether `session`'s role may make a catalog in `schema`, as attaching one does: its
    tables in the schema, or, where there is no such schema, the schema first."""
    row = session.execute(
        """SELECT CASE WHEN n.oid IS NULL
                THEN has_database_privilege(current_database(), 'CREATE')
                ELSE has_schema_privilege(n.oid, 'CREATE') END
            FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = %s""",
        [schema],
    ).fetchone()
    return bool(row and row[0])


def session_role(session: Any) -> str:
    """The role `session` logged in as (not the one it acts as)."""
    row = session.execute("SELECT session_user").fetchone()
    return str(row[0]) if row else "unknown"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
