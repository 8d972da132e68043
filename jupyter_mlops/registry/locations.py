"""How a registry is named to another process: the options of a command line, the
variables of a child's environment, the text a crontab tag identifies it by.

A registry file is named by its directory alone. A shared registry is named by its URL and
its data path together (the folder as this machine mounts it, which another machine may
mount elsewhere): a child told only the URL would put its files under the data path the
catalog was made with, or under whatever $MLOPS_DATA_PATH it inherited. A child told
$MLOPS_HOME for a registry file must not inherit $MLOPS_REGISTRY either, which comes first:
it would open the shared registry instead. So every process this package starts for a
registry (a schedule's runner, a job's notebook, an alert's retraining, a Jupyter server's
kernels) is named it by these functions, never by `registry.home`. A command kept to run
later in another environment (a schedule's, which cron runs with no $MLOPS_HOME) also
carries `machine_variables`: where a shared registry's data path is a bucket, what is this
machine's alone (job locks, job folders) is under $MLOPS_HOME, and a run told another would
lock another folder and overlap a run started from a shell.

A URL holding a password never goes on a command line, which anyone on the machine may read
(`ps`): it reaches a child through its environment alone, as a model server's does. A
schedule, whose command line is kept in a crontab and in the registry, refuses such a URL
(`has_password`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from jupyter_mlops.config import (
    DATA_PATH_VARIABLE,
    HOME_VARIABLE,
    REGISTRY_VARIABLE,
    Location,
)
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import shown

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry


def options(registry: Registry | Location) -> list[str]:
    """The global options of `jupyter-mlops` that open `registry`: `--home DIR`, or
    `--home URL --data-path DIR` (no `--data-path` where the data path is the one the
    catalog was made with and not known here). A URL holding a password is left out: the
    child is told it by `environment`, which it must then be started with."""
    url, folder = _parts(registry)
    if url is None:
        return ["--home", str(folder)]
    data_path = ["--data-path", folder] if folder is not None else []
    return data_path if has_password(registry) else ["--home", url, *data_path]


def machine_variables(registry: Registry) -> dict[str, str]:
    """The variables that make a process started later, in another environment (cron's,
    a Jupyter server's), keep this machine's files of `registry` where this process keeps
    them: for a shared registry whose data path is a bucket, the $MLOPS_HOME its working
    folder (`config.working_folder`, job locks and job folders) is under; nothing for any
    other registry, whose options name its folder."""
    if not registry.shared or registry.data.folder is not None:
        return {}
    return {HOME_VARIABLE: str(registry.home.parent.parent)}  # $MLOPS_HOME/shared/lake_<key>


def variables(registry: Registry | Location) -> dict[str, str | None]:
    """The environment variables that make a child open `registry` by default: each one's
    value, None for one the child must not have."""
    url, folder = _parts(registry)
    if url is None:
        return {HOME_VARIABLE: str(folder), REGISTRY_VARIABLE: None, DATA_PATH_VARIABLE: None}
    return {REGISTRY_VARIABLE: url, DATA_PATH_VARIABLE: None if folder is None else str(folder)}


def environment(
    registry: Registry | Location, *, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A child process's environment: `base` (this process's environment) with `registry`'s
    `variables` set, and those it must not have taken out."""
    found = dict(os.environ if base is None else base)
    for name, value in variables(registry).items():
        if value is None:
            found.pop(name, None)
        else:
            found[name] = value
    return found


def identity(registry: Registry | Location) -> str:
    """How `registry` is shown: its directory, or a shared registry's URL without its
    password."""
    url, folder = _parts(registry)
    return str(folder) if url is None else shown(url)


def registry_key(registry: Registry) -> str:
    """What tells `registry` from every other in a record outside it (a crontab tag): its
    directory, or a shared registry's `catalog_key`."""
    if isinstance(registry.db, LakeDatabase):
        return catalog_key(registry.db)
    return identity(registry)


def catalog_key(db: LakeDatabase) -> str:
    """A shared registry's catalog id and where the catalog is in PostgreSQL: the same
    whatever spelling of its URL, role or data folder reaches it (a key made of the URL
    would take one catalog reached two ways for two), and another for a copy of the catalog,
    which keeps its id (a copy's schedules are its own)."""
    return f"catalog {db.catalog_id()} at {db.place()}"


def has_password(registry: Registry | Location) -> bool:
    """Whether `registry` is named by a URL holding a password."""
    url, _ = _parts(registry)
    return url is not None and shown(url) != url


def _parts(registry: Registry | Location) -> tuple[str | None, str | None]:
    """(the shared registry's URL or None, its data path (a folder or a bucket's URL) or
    the registry's directory)."""
    if isinstance(registry, Location):
        return registry.url, registry.data_path
    return (registry.location if registry.shared else None), registry.data_path
