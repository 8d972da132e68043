"""`MlopsExtension`: the jupyter_server extension serving the REST API under /mlops/api/.

Its registry is `c.MlopsExtension.home` (in jupyter_server_config.py, or
`--MlopsExtension.home=DIR`), else $MLOPS_HOME, else ~/.jupyter-mlops. At load it exports
that home as $MLOPS_HOME in the server's environment, so the kernels the server starts
afterwards (notebooks, consoles) open the same registry the panel shows; kernels running
already keep theirs. `lock_timeout` bounds how long a request waits for another process's
lock before answering 503 (10 s, not the 60 s a notebook waits: a panel should hear soon);
registry work runs in a bounded thread pool of the extension's, shut down when it stops,
so a wait never holds up the server's event loop.
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Int, Unicode, default

from jupyter_mlops.config import HOME_VARIABLE, resolve_home
from jupyter_mlops.server import routes
from jupyter_mlops.server.access import RegistryAccess


class MlopsExtension(ExtensionApp):
    """The jupyter-mlops REST API of a Jupyter server (see docs/rest-api.md)."""

    name = "jupyter_mlops"
    load_other_extensions = True

    home = Unicode(
        help="The registry directory the API reads and changes (default: $MLOPS_HOME, "
        "else ~/.jupyter-mlops); exported as $MLOPS_HOME to the kernels started afterwards."
    ).tag(config=True)
    lock_timeout = Float(
        10.0, help="Seconds a request waits for another process's registry lock before 503."
    ).tag(config=True)
    refresh = Float(5.0, help="Seconds between the panel's reads, as it is told.").tag(config=True)
    workers = Int(4, help="Threads that reach the registry for requests.").tag(config=True)

    @default("home")
    def _home_default(self) -> str:
        return os.environ.get(HOME_VARIABLE, "")

    def initialize_settings(self) -> None:
        home = resolve_home(self.home or None)
        os.environ[HOME_VARIABLE] = str(home)
        self.access = RegistryAccess(home, lock_timeout=self.lock_timeout, workers=self.workers)
        self.log.info("jupyter-mlops: the REST API serves the registry at %s", home)

    def initialize_handlers(self) -> None:
        given = {"extension": self}
        self.handlers.extend((r.pattern, r.handler, given) for r in routes.ROUTES)
        self.handlers.append((*routes.UNKNOWN, given))

    def describe(self) -> dict[str, Any]:
        """What GET /mlops/api/registry answers."""
        return {
            "home": str(self.access.home),
            "exists": self.access.exists,
            "version": metadata.version("jupyter-mlops"),
            "refresh": self.refresh,
        }

    async def stop_extension(self) -> None:
        self.access.stop()
