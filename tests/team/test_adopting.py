"""Catalogs adopting one folder at once: exactly the ones whose marks stayed say they adopted
it, each naming the mark it replaced (so the adoptions that succeed form one chain), and any
other is refused in one sentence naming the registry whose mark stayed. An adoption whose
process died after claiming the mark leaves the next one told what to delete."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import ConflictError
from tests.postgres import Cluster
from tests.s3 import S3, server
from tests.team.test_copies import MARK, cli, copy_of
from tests.team.test_data_path import USAGE_EXIT

CONFLICT_EXIT = 5


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with server() as found:
        yield found


def adopting_at_once(urls: list[str], folder: str) -> list[object]:
    """What adopting `folder` returns (or raises) for each of `urls`, all started together."""
    start = threading.Barrier(len(urls))
    outcomes: list[object] = [None] * len(urls)

    def adopt(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = operations.adopt_data_path(urls[index], data_path=folder)
        except ConflictError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=adopt, args=(index,)) for index in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def racing(lake_url: str, copies: list[str], staging: str, mark: Callable[[], bytes]) -> str:
    """Rounds of `copies` adopting `staging` at once, each from the original's mark: the
    adoptions that succeed form one chain, the others are refused naming the one whose mark
    stayed. The registry whose mark stayed last."""
    for _ in range(6):
        operations.adopt_data_path(lake_url, data_path=staging)  # each round from the original
        outcomes = adopting_at_once(copies, staging)
        stayed = json.loads(mark())["registry"]
        won = {
            url: o for url, o in zip(copies, outcomes, strict=True) if not isinstance(o, Exception)
        }
        lost = [o for o in outcomes if isinstance(o, ConflictError)]
        assert len(won) + len(lost) == 2 and stayed in won, outcomes
        befores = {adoption.before for adoption in won.values()}
        # each replaced the mark before it: the original's, or the other winner's
        assert befores == {lake_url, *(url for url in won if url != stayed)}, (befores, stayed)
        for refusal in lost:
            said = str(refusal)
            assert "\n" not in said and f"shared registry {stayed!r} adopted" in said, said
            assert "its mark is the one that stayed" in said
    return str(stayed)


def test_two_catalogs_adopting_one_folder_at_once_never_both_claim_the_same_mark(
    lake_url, tmp_path, fitted
):
    team, staging = tmp_path / "team", tmp_path / "staging"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    shutil.copytree(team, staging)
    copies = [copy_of(original, data_path=team) for _ in range(2)]
    stayed = racing(lake_url, copies, str(staging), (staging / MARK).read_bytes)
    assert Registry(stayed, data_path=staging).model_names() == ["churn"]


def test_two_catalogs_adopting_one_bucket_folder_at_once_never_both_claim_the_same_mark(
    s3: S3, postgres: Cluster, fitted, monkeypatch
):
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    bucket, client = s3.new_bucket(), s3.client()
    lake_url = postgres.url(postgres.new_schema())
    original = Registry(lake_url, data_path=f"s3://{bucket}/team")
    original.register("churn", fitted)
    for key in s3.keys(bucket, "team/"):
        source = {"Bucket": bucket, "Key": key}
        client.copy_object(Bucket=bucket, Key="staging/" + key[5:], CopySource=source)
    copies = [copy_of(original, data_path=f"s3://{bucket}/team") for _ in range(2)]

    def mark() -> bytes:
        return bytes(client.get_object(Bucket=bucket, Key=f"staging/{MARK}")["Body"].read())

    stayed = racing(lake_url, copies, f"s3://{bucket}/staging", mark)
    assert Registry(stayed, data_path=f"s3://{bucket}/staging").model_names() == ["churn"]


def test_an_adoption_that_died_after_claiming_the_mark_says_what_to_delete(
    lake_url, tmp_path, fitted
):
    team, staging = tmp_path / "team", tmp_path / "staging"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    shutil.copytree(team, staging)
    copy_url = copy_of(original, data_path=team)
    raw = (staging / MARK).read_bytes()
    claim = staging / ".mlops-adoptions" / hashlib.sha256(raw).hexdigest()
    claim.parent.mkdir()
    claim.write_text(json.dumps({"registry": "ducklake:postgres:dbname=other"}))
    args = ("--home", copy_url, "--data-path", str(staging), "adopt-data-path")
    refused = cli(*args, home=tmp_path)
    assert refused.returncode == CONFLICT_EXIT, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "'ducklake:postgres:dbname=other' is adopting" in refused.stderr
    assert f"delete {str(claim)!r} first" in refused.stderr
    assert (staging / MARK).read_bytes() == raw
    claim.unlink()
    adopted = cli(*args, home=tmp_path)
    assert adopted.returncode == 0, adopted.stderr
    assert Registry(copy_url, data_path=staging).model_names() == ["churn"]


def test_a_copy_that_adopted_another_folder_is_told_to_give_it_each_time(
    lake_url, tmp_path, fitted
):
    """A copy whose catalog records the original's folder, having adopted a copy of it, is
    told at adopting, and when opened without it, to give that folder each time."""
    team, staging, unmarked = tmp_path / "team", tmp_path / "staging", tmp_path / "unmarked"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    shutil.copytree(team, staging)
    copy_url = copy_of(original, data_path=team)
    adopted = cli("--home", copy_url, "--data-path", str(staging), "adopt-data-path", home=tmp_path)
    assert adopted.returncode == 0, adopted.stderr
    assert f"its catalog still records {team}/, so give {staging} with MLOPS_DATA_PATH" in (
        adopted.stdout
    )
    assert "each time it is opened" in adopted.stdout
    bare = cli("--home", copy_url, "models", home=tmp_path)
    assert bare.returncode == USAGE_EXIT and "each time it is opened" in bare.stderr
    assert "since its catalog still records this one" in bare.stderr
    given = cli("--home", copy_url, "--data-path", str(staging), "models", home=tmp_path)
    assert given.returncode == 0 and "churn" in given.stdout, given.stderr
    (unmarked / "artifacts").mkdir(parents=True)
    (unmarked / "artifacts" / "x").write_text("x")
    refused = cli(
        "--home", copy_url, "--data-path", str(unmarked), "adopt-data-path", home=tmp_path
    )
    assert refused.returncode == USAGE_EXIT and "no mark saying whose" in refused.stderr
    assert (
        "''s" not in refused.stderr
        and f"the files of the shared registry {copy_url!r} were" in (refused.stderr)
    )
