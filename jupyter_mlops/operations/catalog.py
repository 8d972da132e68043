"""Reading the catalog and changing it: models, versions, aliases and their audit trail."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jupyter_mlops.operations.results import Aliases
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.archiving import Archived
from jupyter_mlops.registry.comparison import Comparison
from jupyter_mlops.registry.events import AliasEvent, History, Unmoved
from jupyter_mlops.registry.integrity import Collected, IntegrityReport
from jupyter_mlops.registry.records import ModelList, Version, VersionList
from jupyter_mlops.registry.refs import parse_version
from jupyter_mlops.store import catalog


def models(registry: Registry) -> ModelList:
    """Every model with its versions and aliases."""
    return registry.models()


def versions(registry: Registry, *, model: str) -> VersionList:
    """The versions of `model`, oldest first."""
    return registry.versions(model)


def show(registry: Registry, *, ref: str) -> Version:
    """Everything recorded about one version: `name`, `name@alias` or `name:version`."""
    return registry.get(ref)


def load(
    registry: Registry, *, ref: str, trust: Iterable[str] = (), allow_pickle: bool = False
) -> Any:
    """The model object of a version, its bytes verified; nothing in it runs unless trusted."""
    return registry.load(ref, trust=list(trust), allow_pickle=allow_pickle)


def promote(
    registry: Registry,
    *,
    model: str,
    version: int | str,
    alias: str = "champion",
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
    expect: int | None = None,
) -> AliasEvent | Unmoved:
    """Point `alias` at `version`, recorded with who, when and why; `expect`: the version
    the alias pointed at when this was chosen (refused as a conflict if it moved since).
    A promote to where the alias points already records nothing and says so (`Unmoved`)."""
    return registry.promote(model, version, alias, reason=reason, evidence=evidence, expect=expect)


def rollback(
    registry: Registry,
    *,
    model: str,
    alias: str = "champion",
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
    expect: int | None = None,
    to: int | None = None,
) -> AliasEvent | Unmoved:
    """Undo the alias's last move not undone yet; `evidence` and `expect` as for `promote`;
    `to`: the version the plan said it returns to (refused as a conflict if not so now)."""
    return registry.rollback(model, alias, reason=reason, evidence=evidence, expect=expect, to=to)


def aliases(registry: Registry, *, model: str) -> Aliases:
    """The aliases of `model` and the version each points at."""
    return Aliases(model, registry.model_aliases(model))


def unalias(registry: Registry, *, model: str, alias: str, reason: str = "") -> AliasEvent:
    """Remove an alias, recorded as a move to nothing."""
    return registry.remove_alias(model, alias, reason=reason)


def history(registry: Registry, *, model: str, alias: str | None = None) -> History:
    """Every alias move of `model` (of one alias): who, when, why, from, to."""
    return registry.history(model, alias)


def compare(registry: Registry, *, model: str, a: int | str, b: int | str) -> Comparison:
    """Two versions side by side: params, metrics, data, with the differences first."""
    return registry.compare(model, a, b)


def archive(registry: Registry, *, model: str, version: int | str, reason: str = "") -> Archived:
    """Archive a version no alias points at (kept, no longer served or promotable)."""
    number = parse_version(version) if isinstance(version, str) else version
    return Archived(registry.archive(model, number, reason=reason))


def tag(registry: Registry, *, model: str, version: int | str, tags: Mapping[str, Any]) -> Version:
    """Set key=value tags on a version, replacing equal keys."""
    return registry.tag(model, version, tags)


def describe(registry: Registry, *, model: str, description: str) -> ModelList:
    """Set a model's description; the models as they now read."""
    registry.describe(model, description)
    return registry.models()


def verify(registry: Registry) -> IntegrityReport:
    """Every artifact checked against its recorded sha256."""
    return registry.verify()


def gc(registry: Registry, *, older_than: float = 3600.0, dry_run: bool = False) -> Collected:
    """Delete (or, `dry_run`, list) artifact files nothing refers to."""
    removed = registry.gc(older_than=older_than, dry_run=dry_run)
    return Collected(removed, dry_run=dry_run)


def discard_if_unused(home: Path, *, made: Path) -> bool:
    """Remove `made` (a directory that did not exist, which opening the registry at `home`
    under it created) when nothing was stored in that registry: a command that was refused
    leaves no registry behind. Whether it was removed."""
    from jupyter_mlops.errors import MlopsError

    try:
        with Registry(home).db.read() as conn:
            unused = catalog.holds_nothing(conn)
    except (MlopsError, OSError):
        return False
    if unused:
        shutil.rmtree(made, ignore_errors=True)
    return unused
