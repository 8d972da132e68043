"""`Versions`: what monitoring reads of a registered version, read once per monitor.

A version never changes once stored, so its model (loaded and verified against its sha256),
its reference sample and the way its rows are scored are read the first time a drift,
performance or estimate asks for them and kept. Every job of a `Monitor` shares one
`Versions`, and the functions that gather performance receive it instead of the monitor.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from jupyter_mlops.monitoring.scoring import Scoring, scoring_of

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.registry import Registry
    from jupyter_mlops.registry.records import Version


class Versions:
    """The registry's versions as monitoring reads them, each one's model, reference sample
    and scoring loaded once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._models: dict[str, Any] = {}
        self._samples: dict[str, pd.DataFrame] = {}

    def model(self, version: Version) -> Any:
        """A version's model object, loaded (and verified) once."""
        if version.ref not in self._models:
            self._models[version.ref] = self.registry.load(version.ref)
        return self._models[version.ref]

    def reference_sample(self, version: Version) -> pd.DataFrame | None:
        """The reference rows stored with a version (with `__target__`, `__prediction__`)."""
        import pandas as pd

        digest = version.reference_sha256
        if not digest:
            return None
        if digest not in self._samples:
            label = f"{version.model} version {version.version}"
            data = self.registry.artifacts.get(digest, label=label)
            self._samples[digest] = pd.read_parquet(io.BytesIO(data))
        return self._samples[digest]

    def scoring(self, version: Version) -> Scoring:
        """How the version's rows are scored: its task, positive class and classes."""
        return scoring_of(lambda: self.model(version), version)

    def other(self, version: Version, number: int | None) -> Version:
        """Version `number` of `version`'s model (None: `version` itself)."""
        if number is None or number == version.version:
            return version
        return self.registry.get(f"{version.model}:{number}")
