"""A shared registry whose data path is a bucket (`s3://`), on a real S3 server (moto's, which
checks credentials as S3 does): everything a shared folder does, the files in the bucket.

One catalog and bucket serve most of the module (a shared registry costs seconds to make);
each test uses a model of its own where it logs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.config import working_folder
from jupyter_mlops.deploying import deploy, undeploy
from jupyter_mlops.errors import BucketError, InvalidArgumentError
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.store import analytics
from jupyter_mlops.store import s3 as object_storage
from jupyter_mlops.store.lake import LakeDatabase
from tests.conftest import free_port
from tests.postgres import Cluster, respelt
from tests.s3 import S3, server
from tests.team.test_shared_logs import write

CLI = str(Path(sys.executable).parent / "jupyter-mlops")
NOW = timedelta(0)  # a grace period over at once: what merges replaced goes at the next one
LOAD = """
import sys
from sklearn.datasets import load_breast_cancer
from jupyter_mlops import Registry
X, _ = load_breast_cancer(return_X_y=True, as_frame=True)
print(Registry(sys.argv[1]).load("churn@champion").predict(X).tolist())
"""


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with server() as found:
        yield found


@pytest.fixture(scope="module", autouse=True)
def aws(s3: S3) -> Iterator[None]:
    """This process and the ones it starts reach the S3 server with the AWS variables."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in s3.environment().items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def team(s3: S3, postgres: Cluster, dataset, fitted) -> Registry:
    """A shared registry with its files in a new bucket, churn v1 its champion."""
    X, y = dataset
    found = Registry(postgres.url(postgres.new_schema()), data_path=f"s3://{s3.new_bucket()}/team")
    found.register("churn", fitted, X=X.iloc[:300], y=y.iloc[:300], reference=(X[300:], y[300:]))
    found.promote("churn", 1, reason="first")
    return found


def bucket_of(registry: Registry) -> tuple[str, str]:
    """(bucket, prefix) of a registry's data path."""
    bucket, _, prefix = registry.data_path.removeprefix("s3://").partition("/")
    return bucket, prefix


def logged(registry: Registry, model: str, kind: str = logs.PREDICTIONS) -> list[str]:
    """The request ids of a model's log, as monitoring reads them (every row once)."""
    with compaction.reading(registry.data, model) as held, analytics.cursor() as conn:
        files = held.files(kind)
        frame = analytics.read_parquet(conn, files) if files else pd.DataFrame()
    return sorted(frame[logs.REQUEST_ID].tolist()) if len(frame) else []


def one_sentence(error: BaseException | str) -> str:
    message = str(error).strip()
    assert "\n" not in message and message.endswith(".") and "Traceback" not in message, message
    return message


def test_its_files_go_to_the_bucket_and_another_process_loads_by_alias(
    team, s3, dataset, fitted, subprocess_env
):
    X, y = dataset
    second = team.register("churn", fitted, X=X.iloc[:200], y=y.iloc[:200])
    team.promote("churn", second.version, reason="smaller")
    team.rollback("churn", "champion", reason="back")
    bucket, prefix = bucket_of(team)
    keys = s3.keys(bucket, prefix)
    artifacts = [key for key in keys if key.startswith(f"{prefix}artifacts/sha256/")]
    assert len(artifacts) >= 2  # the models and the reference sample
    assert any(key.startswith(f"{prefix}main/") and key.endswith(".parquet") for key in keys)
    assert not (team.home / "artifacts").exists()  # nothing shared on this machine's disk
    assert sorted(v.version for v in team.versions("churn")) == [1, 2]
    moves = [(e.alias, e.to_version) for e in team.history("churn")]
    assert moves.count(("champion", 1)) == 2 and ("champion", 2) in moves

    subprocess_env.pop("MLOPS_DATA_PATH", None)  # the data path the registry was made with
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, team.location],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == fitted.predict(X).tolist()
    shown = subprocess.run(
        [CLI, "--home", team.location, "history", "churn"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0 and "back" in shown.stdout, shown.stderr


def test_one_catalog_reached_by_two_spellings_of_its_url_has_one_folder_on_this_machine(
    team, tmp_path, monkeypatch
):
    """This machine's folder of the registry (model servers' output, jobs, lock files) is
    named after the catalog, not the URL: two spellings share it, so their locks hold for
    each other. The folder an older version named after the URL is moved there."""
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    older = working_folder(LakeDatabase(team.location, None).name)
    older.mkdir(parents=True)
    (older / "server.log").write_text("served\n")
    first, second = Registry(team.location), Registry(respelt(team.location))
    assert first.db.name != second.db.name  # which the folder was named after
    assert first.home == second.home and first.home.parent == older.parent
    assert (first.home / "server.log").read_text() == "served\n" and not older.exists()


def test_logged_predictions_and_labels_are_read_back_by_drift_and_performance_once(team, dataset):
    X, y = dataset
    monitor = Monitor(team)
    rows = monitor.log_predictions("churn@champion", X)
    assert monitor.log_labels("churn", rows, y) == len(X)
    assert team.data.url("logs").startswith("s3://")
    assert logged(team, "churn") == sorted(rows[logs.REQUEST_ID])
    report = monitor.drift("churn@champion", window="1d", multivariate=False)
    assert report.rows == len(X)
    performance = monitor.performance("churn@champion", window="1d")
    accuracy = {m.metric: m for m in performance.metrics}["accuracy"]
    assert accuracy.rows == len(X)
    assert accuracy.value == pytest.approx(float(np.mean(rows[logs.PREDICTION] == y.to_numpy())))


def test_compaction_merges_in_the_bucket_while_a_reader_sees_every_row_once(team, s3):
    model = "merged"
    ids = write(team.data, model, 24, day="2026-11-25")  # one-row segments, in the bucket
    counts: list[list[str]] = []
    done = threading.Event()

    def compact() -> None:
        try:
            for _ in range(2):  # the merge, then (its grace over) the sources deleted
                compaction.compact(team.data, model, catalog=team.db, grace=NOW)
        finally:
            done.set()

    worker = threading.Thread(target=compact)
    worker.start()
    while not done.is_set() or len(counts) < 3:
        counts.append(logged(team, model))
    worker.join()
    assert all(found == ids for found in counts), [len(found) for found in counts]
    bucket, prefix = bucket_of(team)
    day = f"{prefix}logs/predictions/{model}/date=2026-11-25/"
    left = [key for key in s3.keys(bucket, day) if key.endswith(".parquet")]
    assert len(left) == 1 and logged(team, model) == ids  # one merged file, every row


def test_gc_deletes_only_what_nothing_refers_to(team, s3, dataset, fitted):
    X, _ = dataset
    orphan = team.artifacts.put(b"bytes no version refers to")
    assert orphan in team.artifacts.digests()
    assert team.gc(older_than=0) == [orphan]
    bucket, prefix = bucket_of(team)
    assert not any(key.endswith(orphan[2:]) for key in s3.keys(bucket, f"{prefix}artifacts/"))
    assert team.verify().ok
    assert (team.load("churn@champion").predict(X) == fitted.predict(X)).all()


def test_migrate_a_folder_into_a_bucket_and_back(
    tmp_path, s3, postgres, dataset, fitted, subprocess_env
):
    X, y = dataset
    folder = Registry(tmp_path / "folder")
    folder.register("churn", fitted, X=X, y=y)
    folder.promote("churn", 1, reason="first")
    ids = sorted(Monitor(folder).log_predictions("churn@champion", X.iloc[:50])[logs.REQUEST_ID])
    url, data_path = postgres.url(postgres.new_schema()), f"s3://{s3.new_bucket()}/copy/"
    copied = subprocess.run(
        [CLI, "migrate", "--from", str(folder.home), "--to", url, "--to-data-path", data_path],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert copied.returncode == 0, copied.stderr
    target = Registry(url)  # made with the bucket, which it remembers
    assert target.data_path == data_path and target.verify().ok
    assert (target.load("churn@champion").predict(X) == fitted.predict(X)).all()
    assert logged(target, "churn") == ids

    back = operations.migrate(target, Registry(tmp_path / "back"))
    assert back.artifacts_copied == back.artifacts >= 1
    assert [(copy.kind, copy.rows) for copy in back.logs] == [(logs.PREDICTIONS, len(ids))]
    assert logged(Registry(tmp_path / "back"), "churn") == ids


def test_a_model_server_on_the_bucket_answers_and_logs_there(team, dataset):
    X, _ = dataset
    started = deploy(team, "churn@champion", port=free_port())
    try:
        request = urllib.request.Request(
            f"{started.url}/predict",
            data=json.dumps({"records": X.iloc[:7].to_dict("records")}).encode(),
            headers={"Authorization": f"Bearer {started.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            served = json.loads(answer.read())["request_ids"]
    finally:
        undeploy(team, started.id)
    assert len(served) == 7
    assert set(served) <= set(logged(team, "churn"))  # written to the bucket on the way out


def test_wrong_credentials_a_missing_bucket_or_no_endpoint_is_one_sentence_and_writes_nothing(
    team, s3, postgres, monkeypatch, subprocess_env
):
    wrong = "wrong-secret-do-not-show"
    refused = subprocess.run(
        [CLI, "--home", team.location, "models"],
        env=subprocess_env | {"AWS_SECRET_ACCESS_KEY": wrong},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 9  # unavailable
    assert "refused these credentials" in one_sentence(refused.stderr)
    assert wrong not in refused.stderr and s3.secret not in refused.stderr

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    with pytest.raises(BucketError) as credentials:
        Registry(team.location)
    assert wrong not in one_sentence(credentials.value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret)

    schema = postgres.new_schema()
    with pytest.raises(BucketError) as missing:
        Registry(postgres.url(schema), data_path="s3://no-such-bucket-here/x")
    assert "'no-such-bucket-here' does not exist" in one_sentence(missing.value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BucketError) as down:
        Registry(postgres.url(schema), data_path=f"s3://{bucket_of(team)[0]}/other")
    assert "could not be reached" in one_sentence(down.value)
    keyed = f"http://key:hush-endpoint@127.0.0.1:{free_port()}/"  # credentials in the endpoint
    unreached = subprocess.run(
        [CLI, "--home", postgres.url(schema), "--data-path", f"s3://{bucket_of(team)[0]}/other",
         "models"],
        env=subprocess_env | {"AWS_ENDPOINT_URL": keyed}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert unreached.returncode == 9 and "could not be reached" in one_sentence(unreached.stderr)
    assert "hush-endpoint" not in unreached.stderr and "//key:***@127.0.0.1" in unreached.stderr
    made = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert made == [(0,)]  # no catalog was made for either

    with pytest.raises(InvalidArgumentError) as file_registry:
        Registry(team.home.parent / "file", data_path="s3://bucket/x")
    assert "applies only to a shared registry" in one_sentence(file_registry.value)


def test_a_bucket_folder_not_the_registrys_is_refused_in_words_of_a_bucket(
    team, s3, postgres, tmp_path, fitted
):
    """A bucket is no folder a machine mounts: each refusal of a data path that does not hold
    the registry's files, or holds another's, asks for a bucket folder."""
    bucket, _ = bucket_of(team)
    elsewhere = f"s3://{bucket}/other"
    attempts = {
        f"the bucket folder '{elsewhere}/' holds none of the files": (team.location, elsewhere),
        f"the folder {str(tmp_path)!r} holds none": (team.location, tmp_path),
        "new, empty bucket folder with": (postgres.url(postgres.new_schema()), team.data_path),
    }
    lost = Registry(postgres.url(postgres.new_schema()), data_path=f"s3://{bucket}/lost")
    lost.register("churn", fitted)
    for key in s3.keys(bucket, "lost/"):
        s3.client().delete_object(Bucket=bucket, Key=key)  # the bucket folder emptied
    attempts[f"'s3://{bucket}/lost/', which holds none of them;"] = (lost.location, None)
    for said, (url, data_path) in attempts.items():
        with pytest.raises(InvalidArgumentError) as refused:
            Registry(url, data_path=data_path)
        message = one_sentence(refused.value)
        assert said in message and "mount" not in message and " here;" not in message, message
        assert "bucket folder" in message.split("; ")[1], message


@pytest.mark.parametrize("folder", ["../dd/", "q2?y=2/", "./x/", "a/../../b/", "br[a]/"])
def test_a_bucket_folder_that_clients_would_read_apart_is_refused_before_anything_is_made(
    team, s3, postgres, folder
):
    """`..`, `.` or a `?`: boto3 stores the name as written, DuckDB reads another place (or
    settings) into it, and the registry made would fail at its first table file there; a
    `[...]`, which DuckDB reads as a pattern, would make every log unreadable."""
    bucket, _ = bucket_of(team)
    before = set(s3.keys(bucket, ""))
    schema = postgres.new_schema()
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(postgres.url(schema), data_path=f"s3://{bucket}/{folder}")
    assert "with plain folder names" in one_sentence(refused.value)
    assert set(s3.keys(bucket, "")) == before
    made = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert made == [(0,)]


def hold_every_connection(server: socket.socket, held: list[socket.socket]) -> None:
    """Accept connections and answer none, until `server` is closed: a stalled endpoint."""
    with contextlib.suppress(OSError):
        while True:
            held.append(server.accept()[0])


def test_an_endpoint_that_takes_connections_but_never_answers_is_given_up_after_two_tries(
    postgres, monkeypatch
):
    """An S3 endpoint that stalls (it accepts connections, answers nothing) is reported as
    out of reach in one sentence after two tries of the read timeout (20 s each; 2 s here),
    not retried a third time."""
    monkeypatch.setattr(object_storage, "READ_TIMEOUT", 2)
    tries: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as stalled:
        threading.Thread(target=hold_every_connection, args=(stalled, tries), daemon=True).start()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{stalled.getsockname()[1]}")
        schema = postgres.new_schema()
        with pytest.raises(BucketError) as down:
            Registry(postgres.url(schema), data_path="s3://stalled/team")
    assert "could not be reached" in one_sentence(down.value)
    assert len(tries) == 2
    made = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert made == [(0,)]
    for held in tries:
        held.close()


def test_of_claims_stored_at_once_in_a_bucket_one_is_stored_and_told_so(s3: S3) -> None:
    """What a new registry's claim of its bucket folder rests on: of eight claims of one
    object at the same moment, S3 stores one, and only its maker is told it was stored."""
    from jupyter_mlops.store.buckets import Bucket

    for _ in range(5):
        root, ready = f"s3://{s3.new_bucket()}/team", threading.Barrier(8)
        told: dict[int, bool] = {}

        def claim(
            n: int, root: str = root, ready: threading.Barrier = ready, told: dict = told
        ) -> None:
            bucket = Bucket(root)
            bucket.exists("warm")  # its client made before the race
            ready.wait()
            told[n] = bucket.claim(".claim", f"{n}\n".encode())

        claimers = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
        for thread in claimers:
            thread.start()
        for thread in claimers:
            thread.join()
        winners = [n for n, stored in told.items() if stored]
        assert len(told) == 8 and len(winners) == 1, told
        assert Bucket(root).get(".claim") == f"{winners[0]}\n".encode()
