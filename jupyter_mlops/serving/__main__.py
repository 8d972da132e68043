"""`python -m jupyter_mlops.serving`: the process `deploy` starts (token and nonce in the
environment, and a shared registry's URL there too when it holds a password), and the one
`jupyter-mlops serve` becomes. It exits 0 when stopped by SIGTERM or Ctrl-C, after
recording the stop; when it cannot start, or stopped but could not record it, it says why
in one line on stderr, as `jupyter-mlops` says it, and exits with the code
`errors.OUTCOMES` gives that kind of error."""

from __future__ import annotations

import argparse
import os
import sys

from jupyter_mlops.deploying import NONCE_VARIABLE, TOKEN_VARIABLE
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.serving.foreground import serve


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlops.serving")
    parser.add_argument("ref")
    parser.add_argument("--home", help="the registry: a directory, or a shared one's URL")
    parser.add_argument("--data-path", help="a shared registry's data path")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--shadow", help="another ref of the model, scored in shadow")
    args = parser.parse_args()
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        print(f"set {TOKEN_VARIABLE} to the bearer token clients will send.", file=sys.stderr)
        return 2
    try:
        serve(
            Registry(args.home, data_path=args.data_path),
            args.ref,
            host=args.host,
            port=args.port,
            token=token,
            nonce=os.environ.get(NONCE_VARIABLE),
            shadow=args.shadow,
        )
    except MlopsError as exc:  # one line, spelled for a shell, exit code by its kind
        print(f"jupyter-mlops: {exc.render(Face.SHELL)}", file=sys.stderr)
        return exc.outcome.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
