"""`jupyter-mlops` from a shell: the same operations as the magics, with exit codes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io
from sklearn.linear_model import Ridge

from jupyter_mlops import Registry
from jupyter_mlops.cli import main as jupyter_main
from tests.conftest import ROOT
from tests.registry import crafted
from tests.registry.custom_model import ThresholdModel

CUSTOM = "tests.registry.custom_model.ThresholdModel"

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_register_promote_rollback_from_the_shell(tmp_path, fitted, dataset, subprocess_env):
    X, y = dataset
    model_file = tmp_path / "model.skops"
    skops.io.dump(fitted, model_file)
    data_file = tmp_path / "train.parquet"
    X.assign(target=y).to_parquet(data_file)

    first = cli(
        "register",
        "churn",
        str(model_file),
        "--data",
        str(data_file),
        "--target",
        "target",
        "--metrics",
        "auc=0.9",
        env=subprocess_env,
    )
    assert first.returncode == 0, first.stderr
    assert "churn" in first.stdout
    assert cli("register", "churn", str(model_file), env=subprocess_env).returncode == 0
    assert cli("promote", "churn", "1", "--reason", "first", env=subprocess_env).returncode == 0
    assert cli("promote", "churn", "2", env=subprocess_env).returncode == 0
    rolled = cli("rollback", "churn", "--reason", "bad", env=subprocess_env)
    assert rolled.returncode == 0
    assert "2 -> 1" in rolled.stdout
    history = cli("history", "churn", env=subprocess_env)
    assert history.stdout.count("promote") == 2 and "rollback" in history.stdout

    registry = Registry(subprocess_env["MLOPS_HOME"])
    version = registry.get("churn:1")
    assert version.data_rows == len(X) and [c["name"] for c in version.schema] == list(X.columns)
    assert version.code == (  # the command that stored it, not the launcher script's source
        f"jupyter-mlops register churn {model_file} --data {data_file} --target target"
    )
    assert registry.get("churn@champion").version == 1
    assert cli("verify", env=subprocess_env).returncode == 0


def test_text_that_is_not_utf8_is_refused_and_a_promote_that_moves_nothing_says_so(
    tmp_path, fitted, subprocess_env
):
    model_file = tmp_path / "model.skops"
    skops.io.dump(fitted, model_file)
    for repeat in ([], ["--force"]):
        registered = cli("register", "tumour", str(model_file), *repeat, env=subprocess_env)
        assert registered.returncode == 0, registered.stderr
    for args in (
        [b"promote", b"tumour", b"2", b"--reason", b"bad\xffbyte"],  # a shell's $'bad\xffbyte'
        [b"describe", b"tumour", b"desc\xff"],
    ):
        refused = subprocess.run([CLI.encode(), *args], capture_output=True, env=subprocess_env,
                                 timeout=120)  # fmt: skip
        said = refused.stderr.decode()
        assert refused.returncode == 2 and "Traceback" not in said and said.count("\n") == 1
        assert "is not valid Unicode (bytes that are not UTF-8" in said
    assert cli("promote", "tumour", "2", "--reason", "first", env=subprocess_env).returncode == 0
    again = cli("promote", "tumour", "2", "--reason", "again", env=subprocess_env)
    assert again.returncode == 0 and "points at version 2 already; nothing changed" in again.stdout
    history = cli("history", "tumour", env=subprocess_env)
    assert history.stdout.count("promote") == 1 and "again" not in history.stdout


def test_an_mlops_user_that_would_forge_a_line_of_history_is_refused(model_file, subprocess_env):
    assert cli("register", "churn", str(model_file), env=subprocess_env).returncode == 0
    forged = "ana\n2026-01-01 00:00  champion  promote  1 -> 9  admin  approved"
    for user in (forged, "\x1b[31mana", "ana\u202enimda", "\u3164"):
        refused = cli("promote", "churn", "1", "--reason", "r",
                      env={**subprocess_env, "MLOPS_USER": user})  # fmt: skip
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert "MLOPS_USER=" in refused.stderr and "\x1b" not in refused.stderr
    history = cli("history", "churn", env=subprocess_env)
    assert "admin" not in history.stdout and "promote" not in history.stdout


def test_errors_are_one_line_on_stderr_with_the_exit_code_of_their_kind(subprocess_env):
    missing = cli("show", "nothing", env=subprocess_env)
    assert missing.returncode == 4
    assert missing.stderr.strip().count("\n") == 0
    assert "no model named 'nothing'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_verify_fails_the_job_when_an_artifact_is_corrupt(fitted, subprocess_env):
    registry = Registry(subprocess_env["MLOPS_HOME"])
    version = registry.register("m", fitted)
    registry.artifacts.path(version.artifact_sha256).write_bytes(b"corrupt")
    result = cli("verify", env=subprocess_env)
    assert result.returncode == 1
    assert "m version 1" in result.stdout


def test_runs_from_the_shell(subprocess_env):
    import jupyter_mlops as mlops

    registry = Registry(subprocess_env["MLOPS_HOME"])
    for auc in (0.8, 0.9):
        with mlops.run("exp", registry=registry) as run:
            run.log_metric("val_auc", auc)
    listed = cli("runs", "exp", "--sort", "val_auc", env=subprocess_env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1].split()[0] == "2" and lines[2].split()[0] == "1"  # best first
    assert "val_auc" in cli("compare-runs", "1", "2", env=subprocess_env).stdout
    assert "finished" in cli("run", "2", env=subprocess_env).stdout
    missing = cli("run", "7", env=subprocess_env)
    assert missing.returncode == 4 and "no run 7" in missing.stderr


@pytest.mark.parametrize("form", [crafted.direct, crafted.partial], ids=["direct", "partial"])
@pytest.mark.parametrize("name", crafted.NAMES)
def test_the_crafted_files_run_their_payload_once_everything_in_them_is_trusted(
    tmp_path, name, form
):
    marker = tmp_path / "marker"
    data = form(crafted.payload(name, marker))
    untrusted = skops.io.get_untrusted_types(data=data)
    assert name in untrusted
    with contextlib.suppress(TypeError):  # partial numpy.load: its array is no dict key
        crafted.settle(skops.io.loads(data, trusted=untrusted))
    assert marker.exists()


@pytest.mark.parametrize("form", [crafted.direct, crafted.partial], ids=["direct", "partial"])
@pytest.mark.parametrize("name", crafted.NAMES)
def test_register_refuses_a_crafted_file_by_name_and_runs_nothing(
    tmp_path, subprocess_env, name, form
):
    marker = tmp_path / "marker"
    model_file = tmp_path / "model.skops"
    model_file.write_bytes(form(crafted.payload(name, marker)))
    refused = cli("register", "evil", str(model_file), env=subprocess_env)
    assert refused.returncode == 8
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert f"{model_file} uses {name}, which is not trusted" in refused.stderr
    assert f"--trust {name}" in refused.stderr
    assert not marker.exists()
    assert Registry(subprocess_env["MLOPS_HOME"]).models() == []


def test_register_from_a_file_trusts_fitted_trees_and_your_own_classes_by_name(
    tmp_path, dataset, subprocess_env
):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    X, y = dataset
    for kind, model in {
        "forest": RandomForestClassifier(5, random_state=0),
        "boosting": HistGradientBoostingClassifier(max_iter=5),
    }.items():
        skops.io.dump(model.fit(X, y), tmp_path / f"{kind}.skops")
        done = cli("register", kind, str(tmp_path / f"{kind}.skops"), env=subprocess_env)
        assert done.returncode == 0, done.stderr
    own = tmp_path / "own.skops"
    skops.io.dump(ThresholdModel(14.0), own)
    refused = cli("register", "own", str(own), env=subprocess_env)
    assert refused.returncode == 8 and f"--trust {CUSTOM}" in refused.stderr
    path = os.pathsep.join([str(ROOT), subprocess_env.get("PYTHONPATH", "")])
    env = subprocess_env | {"PYTHONPATH": path}  # where the CLI finds the class to load it
    accepted = cli("register", "own", str(own), "--trust", CUSTOM, env=env)
    assert accepted.returncode == 0, accepted.stderr
    registry = Registry(subprocess_env["MLOPS_HOME"])
    assert registry.get("own").trusted_types == [CUSTOM]
    assert (registry.load("own").predict(X) == ThresholdModel(14.0).predict(X)).all()
    assert registry.get("forest").trusted_types == ["sklearn.tree._tree.Tree"]


def test_register_says_so_when_a_skops_file_is_damaged(tmp_path, subprocess_env):
    damaged = tmp_path / "damaged.skops"
    damaged.write_bytes(b"not a zip file")
    refused = cli("register", "m", str(damaged), env=subprocess_env)
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "is not a skops file" in refused.stderr


def test_register_says_so_when_a_pickle_is_damaged(tmp_path, fitted, subprocess_env):
    import pickle

    damaged = tmp_path / "model.pkl"
    damaged.write_bytes(pickle.dumps(fitted)[:-40])
    done = subprocess.run(
        [CLI, "register", "m", str(damaged), "--allow-pickle"],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert done.returncode == 2
    assert "is not a pickle" in done.stderr and "Traceback" not in done.stderr


def test_runs_are_found_by_their_models_params_from_the_shell(subprocess_env, dataset):
    import jupyter_mlops as mlops

    X, y = dataset
    registry = Registry(subprocess_env["MLOPS_HOME"])
    for alpha in (0.37, 0.81, 2.5):
        with mlops.run("ridge", registry=registry) as run:
            run.log_model("m", Ridge(alpha=alpha).fit(X, y))
    found = cli("runs", "--where", "m.alpha < 1", "--sort", "m.alpha", env=subprocess_env)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert "m.alpha" in lines[0].split() and [line.split()[0] for line in lines[1:]] == ["2", "1"]
    compared = cli("compare-runs", "1", "3", env=subprocess_env).stdout
    assert "m.alpha" in compared and "m.solver" not in compared
    assert "m.solver" in cli("compare-runs", "1", "3", "--all", env=subprocess_env).stdout
    refused = cli("runs", "--sort", "nosuch", env=subprocess_env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "no column 'nosuch'; the runs have run, experiment, status, duration" in refused.stderr


def test_runs_refuses_a_top_below_one_in_one_line(subprocess_env):
    for top in ("-1", "0"):
        refused = cli("runs", "--top", top, env=subprocess_env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert refused.stderr.strip().count("\n") == 0, refused.stderr
        assert f"--top {top} is not a number of runs; give 1 or more" in refused.stderr


def test_a_hand_made_file_naming_a_function_skops_cannot_import_is_one_line(
    tmp_path, subprocess_env
):
    odd = tmp_path / "odd.skops"
    odd.write_bytes(
        crafted.hand_made(
            {
                "__class__": "validation.check_array",
                "__module__": "sklearn.utils",
                "__loader__": "FunctionNode",
            }
        )
    )
    refused = cli("register", "m", str(odd), env=subprocess_env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "could not be rebuilt from its skops file (AttributeError:" in refused.stderr
    assert Registry(subprocess_env["MLOPS_HOME"]).models() == []


@pytest.fixture
def model_file(tmp_path, fitted):
    path = tmp_path / "model.skops"
    skops.io.dump(fitted, path)
    return path


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--target", "y"], "--target 'y' names a column of the training data, but no --data"),
        (
            ["--metrics", "auc=0.91", "auc=0.5"],
            "metric 'auc' is given twice (auc=0.91 and auc=0.5)",
        ),
        (["--metrics", "auc=0.91", "--metrics", "auc=0.5"], "metric 'auc' is given twice"),
        (["--tag", "stage=dev", "--tag", "stage=prod"], "tag 'stage' is given twice"),
    ],
)
def test_register_refuses_what_it_would_silently_drop(model_file, subprocess_env, extra, expected):
    refused = cli("register", "m", str(model_file), *extra, env=subprocess_env)
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0, refused.stderr
    assert expected in refused.stderr
    assert Registry(subprocess_env["MLOPS_HOME"]).models() == []


def test_register_options_given_twice_add_up(model_file, subprocess_env):
    args = ["--metrics", "auc=0.91", "--metrics", "f1=0.8", "--tag", "a=1", "--tag", "b=2"]
    done = cli("register", "m", str(model_file), *args, env=subprocess_env)
    assert done.returncode == 0, done.stderr
    version = Registry(subprocess_env["MLOPS_HOME"]).get("m:1")
    assert version.metrics == {"auc": 0.91, "f1": 0.8} and version.tags == {"a": "1", "b": "2"}


def test_register_again_says_so_and_which_tags_were_not_applied(model_file, subprocess_env):
    first = cli("register", "m", str(model_file), "--tag", "stage=dev", env=subprocess_env)
    assert first.returncode == 0, first.stderr
    again = cli(
        "register",
        "m",
        str(model_file),
        "--tag",
        "stage=prod",
        "--description",
        "retrained",
        env=subprocess_env,
    )
    assert again.returncode == 0, again.stderr
    said = " ".join(again.stdout.split())  # the note wraps within its column
    assert "version 1 is identical" in said
    assert "nothing stored; pass --force" in said
    assert "not applied: tag stage=prod, description 'retrained'" in said
    registry = Registry(subprocess_env["MLOPS_HOME"])
    assert [v.version for v in registry.versions("m")] == [1]
    assert registry.get("m:1").tags == {"stage": "dev"}
    older = cli("register", "m", str(model_file), "--if-new", env=subprocess_env)
    assert older.returncode == 0 and "version 1 is identical" in older.stdout
    forced = cli("register", "m", str(model_file), "--force", env=subprocess_env)
    assert forced.returncode == 0, forced.stderr
    assert [v.version for v in registry.versions("m")] == [1, 2]
    assert registry.get("m:2").artifact_sha256 == registry.get("m:1").artifact_sha256


@pytest.mark.parametrize("name", ["model.pkl", "noext"])
def test_a_skops_file_is_read_as_skops_whatever_its_name(tmp_path, fitted, subprocess_env, name):
    path = tmp_path / name
    skops.io.dump(fitted, path)
    done = cli("register", "m", str(path), env=subprocess_env)
    assert done.returncode == 0, done.stderr
    version = Registry(subprocess_env["MLOPS_HOME"]).get("m")
    assert version.format == "skops" and not version.unsafe


def test_a_pickle_file_is_refused_as_a_file_not_as_a_stored_version(
    tmp_path, fitted, subprocess_env
):
    import pickle

    path = tmp_path / "model.skops.bak"
    path.write_bytes(pickle.dumps(fitted))
    refused = cli("register", "m", str(path), env=subprocess_env)
    assert refused.returncode == 8 and refused.stderr.strip().count("\n") == 0, refused.stderr
    assert (
        f"{str(path)!r} is a pickle, which runs code when loaded; pass --allow-pickle only if "
        "you trust where it came from." in refused.stderr
    )
    notes = tmp_path / "notes"
    notes.write_text("not a model at all")
    refused = cli("register", "m", str(notes), env=subprocess_env)
    assert (
        f"{str(notes)!r} is not a model file (neither a skops file nor a pickle)" in refused.stderr
    )
    assert Registry(subprocess_env["MLOPS_HOME"]).models() == []


def test_a_directory_is_not_a_model_file(tmp_path, subprocess_env):
    refused = cli("register", "m", str(tmp_path), env=subprocess_env)
    assert refused.returncode == 2
    assert f"model file {str(tmp_path)!r} is a directory" in refused.stderr


LONG = (
    "node array from the pickle has an incompatible dtype, which happens when a model is "
    "loaded by a version of the library other than the one that saved it"
)


@pytest.mark.parametrize(
    "message",
    [f"{LONG}\n- expected: [('left_child', '<i8')]", "incompatible dtype:\n- expected: <i8"],
    ids=["long-first-line", "short-first-line"],
)
def test_a_pickle_that_fails_to_load_is_its_first_line_cut_at_a_word(
    tmp_path, subprocess_env, message
):
    import pickle

    from tests.registry.custom_model import FailsToLoad

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(FailsToLoad(message)))
    env = subprocess_env | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), subprocess_env.get("PYTHONPATH", "")])
    }
    refused = cli("register", "m", str(path), "--allow-pickle", env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    first = message.splitlines()[0]
    shown = refused.stderr.split("(ValueError: ", 1)[1].split("); ", 1)[0]
    assert "- expected" not in refused.stderr
    if shown.endswith(" ..."):  # cut: at the end of a whole word of the first line
        kept = shown.removesuffix(" ...")
        assert first.startswith(kept) and first[len(kept)] == " ", shown
    else:
        assert shown == first


@pytest.mark.parametrize("name", ["train.parquet", "train.csv"])
def test_a_data_file_that_cannot_be_parsed_is_one_line(tmp_path, fitted, subprocess_env, name):
    model_file = tmp_path / "model.skops"
    skops.io.dump(fitted, model_file)
    data = tmp_path / name
    data.write_bytes(b"\x00\x01 not a table \xff" * 50)
    done = cli("register", "m", str(model_file), "--data", str(data), env=subprocess_env)
    assert done.returncode == 2, done.stderr
    assert "cannot be read as" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_settings_that_would_be_ignored_or_misread_are_refused(
    tmp_path, fitted, dataset, subprocess_env
):
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("bc", fitted, X=X, y=y)
    home = str(registry.home)
    empty = cli("--home", "", "models", env=subprocess_env)
    assert empty.returncode == 2 and "the registry location is empty" in empty.stderr
    for threshold in ("-1", "0", "nan", "inf"):
        refused = cli(
            "--home", home, "drift-config", "bc", "--threshold", threshold, env=subprocess_env
        )
        assert refused.returncode == 2 and "is not a number above 0" in refused.stderr, threshold
    alpha = cli(
        "--home", home, "drift-config", "bc", "--test", "ks", "--threshold", "2", env=subprocess_env
    )
    assert alpha.returncode == 2 and "between 0 and 1 (an alpha)" in alpha.stderr
    last = cli("--home", home, "drift", "bc:1", "--last", "2", env=subprocess_env)
    assert last.returncode == 2 and "--last counts windows of --every" in last.stderr


def test_archive_says_in_one_line_what_it_archived_and_history_says_it_in_words(
    tmp_path, fitted, subprocess_env
):
    model_file = tmp_path / "model.skops"
    skops.io.dump(fitted, model_file)
    for _ in range(2):
        assert cli("register", "m", str(model_file), "--force", env=subprocess_env).returncode == 0
    archived = cli("archive", "m", "1", "--reason", "leaked labels", env=subprocess_env)
    assert archived.returncode == 0, archived.stderr
    line = archived.stdout.strip()
    assert line.startswith("m version 1 archived (since 20") and "UTC, by " in line, line
    assert line.endswith("): leaked labels.") and "\n" not in line, line
    history = cli("history", "m", env=subprocess_env)
    row = next(row for row in history.stdout.splitlines() if "leaked labels" in row)
    assert "archived version 1" in row and " 1 " not in row.replace("version 1", ""), row


def test_a_listing_piped_into_a_reader_that_stops_early_ends_quietly(subprocess_env):
    reading, writing = os.pipe()
    os.close(reading)  # `| head` that has already read its lines
    with os.fdopen(writing, "w") as closed:
        ended = subprocess.run(
            [CLI, "jobs"], stdout=closed, stderr=subprocess.PIPE, text=True, env=subprocess_env
        )
    assert (ended.returncode, ended.stderr) == (141, "")


def test_a_refused_command_on_a_new_shared_registry_leaves_the_teams_data_folder(
    lake_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jupyter_mlops.cli import main

    team = tmp_path / "mounted" / "team"  # new, as a registry file's directory would be
    assert main(["--home", lake_url, "--data-path", str(team), "promote", "churn", "1"]) == 4
    assert "no model named 'churn'" in capsys.readouterr().err
    assert team.is_dir()  # the team's folder, which other machines may be using


def test_promote_and_rollback_take_the_alias_as_a_word_or_as_alias(
    tmp_path, fitted, dataset, capsys
):
    """Both commands that move an alias take it either way, so a person who learned one
    form on one of them is not refused on the other."""
    registry = Registry(tmp_path / "home")
    registry.register("churn", fitted)
    registry.register("churn", fitted.__class__(C=0.5, max_iter=5000).fit(*dataset))
    home = ["--home", str(tmp_path / "home")]
    assert jupyter_main([*home, "promote", "churn", "1", "--alias", "staging"]) == 0
    assert jupyter_main([*home, "promote", "churn", "2", "staging"]) == 0
    assert jupyter_main([*home, "rollback", "churn", "staging", "--reason", "r"]) == 0
    assert registry.model_aliases("churn") == {"staging": 1}
    assert jupyter_main([*home, "promote", "churn", "2", "--alias", "staging"]) == 0
    assert jupyter_main([*home, "rollback", "churn", "--alias", "staging"]) == 0
    assert registry.model_aliases("churn") == {"staging": 1}
    capsys.readouterr()
    assert jupyter_main([*home, "promote", "churn", "2", "a", "--alias", "b"]) == 2
    said = capsys.readouterr().err.strip()
    assert "the alias is given twice, as 'a' and as --alias 'b'; give it once." in said
    assert "\n" not in said and registry.model_aliases("churn") == {"staging": 1}
    assert jupyter_main([*home, "promote", "churn@staging", "2"]) == 2
    said = capsys.readouterr().err
    assert "write promote churn 2 staging." in said and registry.model_aliases("churn") == {
        "staging": 1
    }
