"""DuckDB's extensions a shared registry needs, where DuckDB cannot install them: a process
whose HOME is not a folder (a service started without one) is told to set HOME, not to
install the `[team]` extra it has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def test_a_home_that_is_not_a_folder_is_named_not_blamed_on_the_team_extra(
    lake_url: str, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    home = tmp_path / "gone"
    done = subprocess.run(
        [CLI, "--home", lake_url, "--data-path", str(tmp_path / "shared"), "models"],
        env=subprocess_env | {"HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = done.stderr.strip()
    assert done.returncode != 0 and "\n" not in said, done.stderr
    assert f"HOME ({str(home)!r}) is not a folder; set HOME to your home folder" in said, said
    assert "[team]" not in said
