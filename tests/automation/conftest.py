"""A real crontab for the schedules' tests: this user's, holding a line of the user's own
during a test and put back as it was after it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

NEEDS_CRONTAB = pytest.mark.skipif(
    shutil.which("crontab") is None, reason="no crontab program (make test installs cron)"
)
FOREIGN = "# the user's own backup\n*/5 * * * * echo foreign >> /dev/null # backup\n"


@pytest.fixture
def crontab_text() -> Iterator[None]:
    """This user's crontab holding only `FOREIGN` during the test, as it was afterwards."""
    before = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    try:
        subprocess.run(["crontab", "-"], input=FOREIGN, text=True, check=True)
        yield
    finally:
        if before.returncode == 0:
            subprocess.run(["crontab", "-"], input=before.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = tmp_path / "notebooks dir" / "monitoring.ipynb"
    path.parent.mkdir()
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return path
