"""What `register` takes beside the model and its data, alike in a notebook and a shell."""

from __future__ import annotations

import argparse


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """What `register` takes beside the model, as `%mlops register` takes it too."""
    parser.add_argument("--metrics", nargs="+", action="extend", default=[], metavar="name=value")
    parser.add_argument("--description", default="")
    parser.add_argument("--tag", action="append", default=[], metavar="key=value")
    parser.add_argument("--trust", nargs="+", action="extend", default=[], metavar="TYPE")
    parser.add_argument("--allow-pickle", action="store_true")
    parser.add_argument(
        "--positive-label",
        metavar="CLASS",
        help="the class a binary classifier's scores, F1 and AUC refer to "
        "(default: its second class, classes_[1])",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="store a new version even if an identical one exists (by default it is returned)",
    )
    parser.add_argument(
        "--if-new", action="store_true", help="the default now; accepted for older scripts"
    )
