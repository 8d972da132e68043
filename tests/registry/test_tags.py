"""Tags are short lines of text: a key or value a terminal would act on (an escape that
clears the screen and paints a forged line), one on several lines, or one 100,000
characters long is refused in one sentence wherever tags are given; and text stored before
that was checked is shown with its control characters escaped, never raw."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.cli import main
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.locations import options
from jupyter_mlops.store import catalog
from jupyter_mlops.tracking import Tracker

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")

FORGED = "ok\x1b[2J\x1b[31mFAKE: version verified\x1b[0m"
BAD_VALUES = [
    (FORGED, "control character"),
    ("line one\nline two", "control character"),
    ("a\tb", "control character"),
    ("a\x00b", "control character"),
    ("a\rb", "control character"),
    ("fine \u202eevil", "bidirectional control"),
    ("   ", "no visible character"),
    ("y" * 100_000, "100,000 characters long; keep it to 1,000"),
]


def said_once(message: str, problem: str) -> None:
    """`message` names `problem`, on one line, short, with no raw control character."""
    assert problem in message, message
    assert message.isprintable() and len(message) < 300, message


@pytest.mark.parametrize(("value", "problem"), BAD_VALUES)
def test_odd_tag_values_are_refused_before_anything_is_written(
    registry, fitted, capsys, value, problem
):
    with pytest.raises(InvalidArgumentError, match=r"^tag note=") as raised:
        registry.register("churn", fitted, tags={"note": value})
    said_once(str(raised.value), problem)
    assert registry.models() == []
    registry.register("churn", fitted, tags={"team": "risk"})
    with pytest.raises(InvalidArgumentError, match=r"^tag note=") as raised:
        registry.tag("churn", 1, {"stage": "prod", "note": value})
    said_once(str(raised.value), problem)
    assert main([*options(registry), "tag", "churn", "1", f"note={value}"]) == 2
    said_once(capsys.readouterr().err.strip(), problem)
    with pytest.raises(InvalidArgumentError, match=r"^tag note="):
        Tracker(registry).start("exp", tags={"note": value})
    with (
        pytest.raises(InvalidArgumentError, match=r"^tag note="),
        mlops.run("exp", registry=registry) as run,
    ):
        run.set_tag("note", value)
    assert registry.get("churn:1").tags == {"team": "risk"}
    assert [r.tags for r in Tracker(registry).runs()] == [{}]  # the run, without the tag


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("\x1b[31mred", "control character"),
        ("a\u202eb", "bidirectional control"),
        ("\u200b ", "no visible character"),
    ],
)
def test_odd_tag_keys_are_refused(registry, fitted, key, problem):
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError, match=r"^tag key ") as raised:
        registry.tag("churn", 1, {key: "x"})
    said_once(str(raised.value), problem)
    assert registry.get("churn:1").tags == {}


def test_tag_values_up_to_the_limit_and_numbers_are_kept_as_given(registry, fitted):
    registry.register("churn", fitted, tags={"empty": "", "folds": 5})
    registry.tag("churn", 1, {"long": "y" * 1_000, "note": "reviewed by Ana, e\u0301 \u00e9"})
    assert registry.get("churn:1").tags == {
        "empty": "",
        "folds": "5",
        "long": "y" * 1_000,
        "note": "reviewed by Ana, e\u0301 \u00e9",
    }


def test_a_tag_with_an_escape_is_refused_by_the_magics(registry, fitted, ipython):
    ipython.user_ns.update(clf=fitted, forged=FORGED)
    location = " ".join(options(registry)[1:])  # the folder, or the URL --data-path folder
    assert ipython.run_cell(f"%mlops connect {location}").success
    for line in (
        "%mlops register churn clf --tag 'note={forged}'",
        "%mlops tag churn 1 'note={forged}'",
        "%%mlops track exp --tag 'note={forged}'\npass\n",
    ):
        if "tag churn 1" in line:
            registry.register("churn", fitted)
        result = ipython.run_cell(line)
        assert not result.success, line
        said_once(str(result.error_in_exec), "control character")
    assert registry.get("churn:1").tags == {}
    assert list(Tracker(registry).runs()) == []


def test_text_stored_before_it_was_checked_is_shown_escaped(registry, fitted, capsys):
    """A registry written by a version that took any tag, description or reason: `show`,
    `models`, `versions` and `history` print its control characters as escapes."""
    registry.register("churn", fitted)
    registry.promote("churn", 1, reason="first")
    with registry.db.write() as conn:
        catalog.set_tag(conn, "churn", 1, "note", FORGED)
        catalog.set_tag(conn, "churn", 1, "bidi", "fine \u202eevil")
        catalog.set_model_description(conn, "churn", "baseline\r\x1b[2Kforged line")
    home = options(registry)
    for command in (["show", "churn:1"], ["models"], ["versions", "churn"], ["history", "churn"]):
        assert main([*home, *command]) == 0
        out = capsys.readouterr().out
        assert all(c.isprintable() or c in "\n" for c in out), (command, out)
    assert main([*home, "show", "churn:1"]) == 0
    out = capsys.readouterr().out
    assert "note=ok\\x1b[2J\\x1b[31mFAKE: version verified\\x1b[0m" in out
    assert "bidi=fine \\u202eevil" in out
    assert main([*home, "models"]) == 0
    assert "baseline\\x0d\\x1b[2Kforged line" in capsys.readouterr().out
    assert "\x1b" not in str(registry.get("churn:1")) and "\x1b" not in str(registry.models())
    assert registry.get("churn:1").tags["note"] == FORGED  # kept as stored, escaped when shown
