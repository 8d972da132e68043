"""A team set up with the SQL the README gives: two people who write through the writers'
group role, and one who reads, each logged in as themselves."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.postgres import Cluster

# the roles the README's SQL makes, each given a name of the test's own
ROLES = ("mlops_writer", "mlops_reader", "alice", "bob", "carol")


@dataclass(frozen=True)
class Team:
    names: dict[str, str]  # the README's role name -> this test's
    schema: str
    postgres: Cluster
    data: Path

    def url(self, person: str, *, acting_as: str | None = None) -> str:
        """The URL `person` connects with, acting as the group role `acting_as` if given."""
        more = {"options": f"-crole={self.names[acting_as]}"} if acting_as else {}
        return self.postgres.url(self.schema, user=self.names[person], **more)

    @property
    def alice(self) -> str:
        return self.url("alice", acting_as="mlops_writer")

    @property
    def bob(self) -> str:
        return self.url("bob", acting_as="mlops_writer")

    @property
    def carol(self) -> str:  # the reader
        return self.url("carol")

    def owners(self) -> set[str]:
        """The roles owning the tables in the catalog's schema."""
        rows = self.postgres.execute(
            f"SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = '{self.schema}'"
        )
        return {row[0] for row in rows}


def readme_sql() -> str:
    """The SQL the README's "Team mode" section tells a database owner to run."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Team mode") :]
    found = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert found, "the README's Team mode section shows no SQL"
    return found.group(1)


def set_up(postgres: Cluster, data: Path) -> Team:
    """The README's roles and schema, run with names of this team's own (roles are the
    server's, shared by every test)."""
    names = {name: f"{name}_{uuid.uuid4().hex[:8]}" for name in ROLES}
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sql = readme_sql()
    for name, own in names.items():
        sql = re.sub(rf"\b{name}\b", own, sql)
    postgres.execute(re.sub(r"\bmlops\b", schema, sql))  # tables yet to come: default grants
    return Team(names, schema, postgres, data)


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}
