"""`python -m jupyter_mlops.cli`: the `jupyter-mlops` command."""

import sys

from jupyter_mlops.cli import main

sys.exit(main())
