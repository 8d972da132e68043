"""`MlopsExtension`: the jupyter_server extension serving the REST API under /mlops/api/.

Its registry is `c.MlopsExtension.home` (in jupyter_server_config.py, or
`--MlopsExtension.home=DIR`): a directory, or a shared registry's URL
(`ducklake:postgres:...`) with its files under `c.MlopsExtension.data_path`; else
$MLOPS_REGISTRY (and $MLOPS_DATA_PATH), else $MLOPS_HOME, else ~/.jupyter-mlops. At load it
exports that registry in the server's environment as `locations.variables` names it
($MLOPS_HOME, or $MLOPS_REGISTRY and $MLOPS_DATA_PATH), so the kernels the server starts
afterwards (notebooks, consoles) open the same registry the panel shows; kernels running
already keep theirs. `lock_timeout` bounds how long a request waits for another process's
lock before answering 503 (10 s, not the 60 s a notebook waits: a panel should hear soon);
registry work runs in bounded thread pools of the extension's (`workers` threads for reads,
as many for writes), shut down when it stops, so a wait never holds up the server's event
loop. A setting out of range is refused in one sentence, and an extension that failed to
load stops as cleanly as one that loaded. A home that cannot hold a registry (a file, a URL
that is no shared registry's) does not stop it loading: every route answers what is wrong
with the home, so the panel shows that rather than an extension that seems not to be
enabled.
"""

from __future__ import annotations

import math
import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Int, TraitError, Unicode, default, validate

from jupyter_mlops.config import (
    DATA_PATH_VARIABLE,
    HOME_VARIABLE,
    REGISTRY_VARIABLE,
    SHARED_PREFIX,
    Location,
    as_url,
    home_given,
    resolve_location,
)
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.locations import variables
from jupyter_mlops.server import routes
from jupyter_mlops.server.access import RegistryAccess


class MlopsExtension(ExtensionApp):
    """The jupyter-mlops REST API of a Jupyter server (see docs/rest-api.md)."""

    name = "jupyter_mlops"
    load_other_extensions = True

    home = Unicode(
        help="The registry the API reads and changes: a directory, or a shared registry's URL "
        "(default: $MLOPS_REGISTRY, else $MLOPS_HOME, else ~/.jupyter-mlops); exported to the "
        "kernels started afterwards."
    ).tag(config=True)
    data_path = Unicode(
        help="A shared registry's data folder as this machine mounts it, or "
        "s3://BUCKET/FOLDER/ (default: "
        "$MLOPS_DATA_PATH, else the one the registry was made with)."
    ).tag(config=True)
    lock_timeout = Float(
        10.0, help="Seconds a request waits for another process's registry lock before 503."
    ).tag(config=True)
    workers = Int(
        4, help="Threads that read the registry for requests, and as many that write it."
    ).tag(config=True)
    access: RegistryAccess | None = None  # made at load; None if loading failed

    @default("home")
    def _home_default(self) -> str:
        return os.environ.get(REGISTRY_VARIABLE) or os.environ.get(HOME_VARIABLE, "")

    @default("data_path")
    def _data_path_default(self) -> str:
        return os.environ.get(DATA_PATH_VARIABLE, "")

    @validate("workers")
    def _check_workers(self, proposal: Any) -> int:
        if proposal.value < 1:
            raise TraitError(
                f"MlopsExtension.workers = {proposal.value} cannot reach the registry; set it "
                "to 1 or more, e.g. --MlopsExtension.workers=4."
            )
        return int(proposal.value)

    @validate("lock_timeout")
    def _check_lock_timeout(self, proposal: Any) -> float:
        if not (math.isfinite(proposal.value) and proposal.value >= 0):
            raise TraitError(
                f"MlopsExtension.lock_timeout = {proposal.value} is not a number of seconds; "
                "set it to 0 or more, e.g. --MlopsExtension.lock_timeout=10."
            )
        return float(proposal.value)

    def initialize_settings(self) -> None:
        place, refused = self._place()  # refused: every route answers why it is no registry
        for name, value in variables(place).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.access = RegistryAccess(
            place, lock_timeout=self.lock_timeout, workers=self.workers, refused=refused
        )
        home = place.home
        if refused is not None:
            self.log.warning("jupyter-mlops: %s", refused)
        elif not place.shared and home is not None and home.exists() and not home.is_dir():
            self.log.warning("jupyter-mlops: the registry home %s is a file, not a directory", home)
        self.log.info("jupyter-mlops: the REST API serves the registry at %s", self.access.shown)

    def _place(self) -> tuple[Location, InvalidArgumentError | None]:
        """The registry the settings name, and why it cannot be one, if so."""
        home = as_url(self.home)
        if not home.startswith(SHARED_PREFIX):
            return Location(home_given(self.home or None)), None  # a file: refused by routes
        try:
            return resolve_location(home, data_path=self.data_path or None), None
        except InvalidArgumentError as exc:
            return Location(None, home), exc

    def initialize_handlers(self) -> None:
        given = {"access": self.access}
        self.handlers.extend((r.pattern, r.handler, given) for r in routes.ROUTES)
        self.handlers.append((*routes.UNKNOWN, given))

    async def stop_extension(self) -> None:
        if self.access is not None:  # None: the extension failed to load
            self.access.stop()
