"""Models, immutable versions, aliases with an audit trail, artifacts, fingerprints."""

from jupyter_mlops.registry.events import AliasEvent, History
from jupyter_mlops.registry.records import ModelList, Version, VersionList
from jupyter_mlops.registry.registry import Registry

__all__ = ["AliasEvent", "History", "ModelList", "Registry", "Version", "VersionList"]
