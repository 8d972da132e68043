"""Catalogs adopting one folder at once: exactly the ones whose marks stayed say they adopted
it, each naming the mark it replaced (so the adoptions that succeed form one chain), and any
other is refused in one sentence naming the registry whose mark stayed. An adoption whose
process died after claiming the mark leaves the next one told what to delete."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import ConflictError
from tests.team.test_copies import MARK, cli, copy_of
from tests.team.test_data_path import USAGE_EXIT

CONFLICT_EXIT = 5


def adopting_at_once(urls: list[str], folder: Path) -> list[object]:
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


def test_two_catalogs_adopting_one_folder_at_once_never_both_claim_the_same_mark(
    lake_url, tmp_path, fitted
):
    team, staging = tmp_path / "team", tmp_path / "staging"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    shutil.copytree(team, staging)
    copies = [copy_of(original, data_path=team) for _ in range(2)]
    for _ in range(6):
        operations.adopt_data_path(lake_url, data_path=staging)  # each round from the original
        outcomes = adopting_at_once(copies, staging)
        stayed = json.loads((staging / MARK).read_text())["registry"]
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
    assert Registry(stayed, data_path=staging).model_names() == ["churn"]


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
