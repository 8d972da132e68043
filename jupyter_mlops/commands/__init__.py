"""The subcommands `%mlops` and `jupyter-mlops` share, each a parser beside its handler.

A subcommand adds its arguments to the face's parser and runs by calling one operation
with them; the face gives it a `Context` (the registry, and how that face reads the data
its user names) and presents what it returns. Each face adds its own subcommands (the
notebook reads variables, the shell reads files) in the same form.
"""

from jupyter_mlops.commands.base import (
    Context,
    Subcommand,
    add_parameters,
    add_subcommands,
    data_files,
    parameter_pairs,
    parse_pairs,
)
from jupyter_mlops.commands.catalog import CATALOG
from jupyter_mlops.commands.fleet import FLEET
from jupyter_mlops.commands.gating import GATING
from jupyter_mlops.commands.jobs import JOBS
from jupyter_mlops.commands.migrating import MIGRATING
from jupyter_mlops.commands.monitoring import MONITORING
from jupyter_mlops.commands.retraining import RETRAINING
from jupyter_mlops.commands.schedules import SCHEDULES
from jupyter_mlops.commands.shadows import SHADOWS
from jupyter_mlops.commands.tracking import TRACKING

SHARED: tuple[Subcommand, ...] = (
    *CATALOG,
    *TRACKING,
    *MONITORING,
    *FLEET,
    *SCHEDULES,
    *GATING,
    *JOBS,
    *SHADOWS,
    *RETRAINING,
    *MIGRATING,
)

__all__ = [
    "SHARED",
    "Context",
    "Subcommand",
    "add_parameters",
    "add_subcommands",
    "data_files",
    "parameter_pairs",
    "parse_pairs",
]
