"""Files in a shared registry's data path are the team's: made as the writer's umask makes
any new file, so teammates under other Unix users read them (and, with umask 002, a shared
group writes them); a registry file's own files stay their owner's alone."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from jupyter_mlops import Registry

WRITE = """
import os, pickle
from jupyter_mlops import Registry
from jupyter_mlops.monitoring.monitor import Monitor
os.umask({umask:#o})
fitted, X = pickle.loads(open({given!r}, "rb").read())
registry = Registry({location!r}, data_path={data_path!r})
registry.register("churn", fitted, X=X)
registry.promote("churn", 1)
Monitor(registry).log_predictions("churn@champion", X, predictions=fitted.predict(X))
"""


def written(location: str, data_path: Path | None, umask: int, tmp_path: Path, made) -> None:
    given = tmp_path / "given.pickle"
    given.write_bytes(made)
    code = WRITE.format(umask=umask, given=str(given), location=location,
                        data_path=None if data_path is None else str(data_path))  # fmt: skip
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, timeout=180)


def modes(folder: Path, *under: str) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
        for part in under
        for path in (folder / part).rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


def test_a_shared_registrys_files_are_made_as_the_umask_says(lake_url, tmp_path, fitted, dataset):
    import pickle

    data = tmp_path / "team"
    written(lake_url, data, 0o002, tmp_path, pickle.dumps((fitted, dataset[0])))
    found = modes(data, "artifacts", "logs")
    assert any(name.startswith("artifacts/") for name in found)
    assert any(name.startswith("logs/predictions/") for name in found)
    assert {name: mode for name, mode in found.items() if mode != 0o664} == {}
    assert Registry(lake_url, data_path=data).load("churn@champion") is not None


def test_a_registry_files_artifacts_stay_their_owners(tmp_path, fitted, dataset):
    import pickle

    home = tmp_path / "mine"
    written(str(home), None, 0o002, tmp_path, pickle.dumps((fitted, dataset[0])))
    artifacts = modes(home, "artifacts")
    assert artifacts and set(artifacts.values()) == {0o600}
