"""Each module of the package does one job and can be read whole: none is over 400 lines."""

from __future__ import annotations

from pathlib import Path

import jupyter_mlops

LIMIT = 400
PACKAGE = Path(jupyter_mlops.__file__).parent


def test_no_module_of_the_package_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}, f"modules over {LIMIT} lines: {long}; split them by responsibility"
