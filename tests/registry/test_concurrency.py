"""Many processes on one registry file: nothing lost, nothing duplicated, no error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_mlops import Registry

WRITER = """
import sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=500).fit(X, y)
registry = Registry(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    registry.register("shared", model, X=X, y=y, metrics={"writer": int(sys.argv[3]), "i": i})
print("done", flush=True)
"""

READER = """
import sys
from jupyter_mlops import Registry
from jupyter_mlops.errors import ModelNotFoundError
registry = Registry(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
reads = 0
while True:
    try:
        seen = [v.version for v in registry.versions("shared")]
        assert seen == list(range(1, len(seen) + 1)), seen
    except ModelNotFoundError:
        seen = []
    registry.models()
    reads += 1
    if len(seen) >= int(sys.argv[2]):
        break
print("done", reads, flush=True)
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", process.communicate()[1]
    return process


@pytest.mark.slow
def test_four_writers_and_a_reader_lose_nothing(tmp_path):
    home = str(tmp_path / "registry")
    Registry(home)
    writers = [start(WRITER, home, "25", str(n)) for n in range(4)]
    reader = start(READER, home, "100")
    for process in [*writers, reader]:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = [process.communicate(timeout=300) for process in [*writers, reader]]
    for process, (out, err) in zip([*writers, reader], outcomes, strict=True):
        assert process.returncode == 0, err
        assert "done" in out and "Error" not in err
    registry = Registry(home)
    versions = registry.versions("shared")
    assert [v.version for v in versions] == list(range(1, 101))
    per_writer = sorted((int(v.metrics["writer"]), int(v.metrics["i"])) for v in versions)
    assert per_writer == [(w, i) for w in range(4) for i in range(25)]
    assert registry.verify().ok
    assert int(outcomes[-1][0].split()[-1]) > 1
