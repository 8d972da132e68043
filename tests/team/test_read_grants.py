"""A reading role PostgreSQL keeps from some of the catalog's tables (a grant given once, not
by default privileges, misses the tables DuckLake makes later): every read says, in one
sentence, which tables it may not read and exits as forbidden, not as an outage that running
it again would get past."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import ForbiddenError

FORBIDDEN_EXIT = 15


def reader_without(team, name: str, tables: str) -> str:
    """The URL of a new reading role granted SELECT on every table but `tables`."""
    role = f"{name}_{team.schema}"
    team.postgres.execute(
        f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {team.schema} TO {role}; "
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {team.schema} TO {role}; "
        f"REVOKE SELECT ON {tables} FROM {role}"
    )
    return team.postgres.url(team.schema, user=role)


def inlined_tables(team) -> list[str]:
    query = (
        "SELECT tablename FROM pg_tables WHERE schemaname = '{}' "
        "AND tablename ~ '^ducklake_inlined_data_[0-9]+_[0-9]+$' ORDER BY tablename"
    )
    return [row[0] for row in team.postgres.execute(query.format(team.schema))]


@pytest.mark.parametrize("kept_from", ["data_file", "inlined"])
def test_a_reader_kept_from_a_catalog_table_is_told_which_not_to_run_it_again(
    team, subprocess_env, kept_from
):
    if kept_from == "data_file":
        tables = ["ducklake_data_file"]
    else:
        tables = inlined_tables(team)
        assert tables, "the registry keeps some rows inlined"
    url = reader_without(
        team, f"r_{kept_from}", ", ".join(f"{team.schema}.{table}" for table in tables)
    )
    with pytest.raises(ForbiddenError) as refused:
        Registry(url).versions("churn")
    said = str(refused.value)
    assert "\n" not in said and tables[0] in said and "run it again" not in said, said
    for command in (["models"], ["versions", "churn"], ["history", "churn"], ["fleet"]):
        shell = subprocess.run(
            [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, *command],
            capture_output=True, text=True, env=subprocess_env, timeout=120,
        )  # fmt: skip
        assert shell.returncode == FORBIDDEN_EXIT, (command, shell.stderr)
        assert len(shell.stderr.strip().splitlines()) == 1, shell.stderr
        assert "lacks SELECT on" in shell.stderr and tables[0] in shell.stderr, shell.stderr


def test_a_reader_lists_a_models_drift_settings_and_a_bare_listing_clears_none(
    team, subprocess_env
):
    def drift_config(url: str, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "drift-config", "churn",
             *options],
            capture_output=True, text=True, env=subprocess_env, timeout=120,
        )  # fmt: skip

    stored = drift_config(team.alice, "--test", "psi", "--threshold", "0.3")
    assert stored.returncode == 0, stored.stderr
    for url in (team.carol, team.alice, team.carol):  # the writer's listing changes nothing
        listed = drift_config(url)
        assert listed.returncode == 0, listed.stderr
        assert "psi" in listed.stdout and "0.3" in listed.stdout, listed.stdout
    refused = drift_config(team.carol, "--clear")
    assert refused.returncode == FORBIDDEN_EXIT and "nothing was changed" in refused.stderr
    both = drift_config(team.alice, "--clear", "--test", "ks")
    assert both.returncode == 2 and "give --clear alone" in both.stderr, both.stderr
    cleared = drift_config(team.alice, "--clear")
    assert cleared.returncode == 0 and "no drift settings" in cleared.stdout, cleared.stdout
