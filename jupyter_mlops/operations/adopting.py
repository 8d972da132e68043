"""`adopt-data-path`: a shared registry takes a data path whose mark names its catalog at
another place in PostgreSQL (`registry/marks.py`): the catalog moved to a new server by a
dump restored there, the old one gone, or a copy of the catalog given a copy of the folder.

Opening the registry would refuse such a data path, so this is the one step that opens
the catalog without that check. Nothing else changes: the mark is rewritten to the
catalog's key as it is now, after which the registry opens there and the catalog the mark
named before is refused. A data path marked by another catalog altogether is never adopted.
Of catalogs adopting one data path at once, one does and the others are refused
(`marks.adopt`). A catalog keeps recording the data path it was made with (DuckLake offers no
way to change it), so a copy that adopted another is given it each time it is opened, as the
result says.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.config import DATA_PATH_VARIABLE, on_object_storage
from jupyter_mlops.registry.locations import catalog_key
from jupyter_mlops.registry.opening import adopt
from jupyter_mlops.store.lake_urls import shown


@dataclass(frozen=True)
class Adoption:
    """A data path adopted: the registry, its data path, its catalog's key now, and the
    registry and key the mark named before (None: there was no readable mark)."""

    registry: str
    data_path: str
    key: str
    before: str | None
    before_key: str | None
    recorded: str | None = None  # the data path the catalog records, where it is another

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "data_path": self.data_path,
            "key": self.key,
            "before": self.before,
            "before_key": self.before_key,
            "recorded": self.recorded,
        }

    def __str__(self) -> str:
        if self.before_key == self.key:
            return f"{self.data_path} was the data path of {self.registry} already ({self.key})"
        was = "" if self.before is None else f", no longer of {self.before} ({self.before_key})"
        said = f"{self.data_path} is the data path of {self.registry} ({self.key}){was}"
        if self.recorded is None:
            return said
        return (
            f"{said}; its catalog still records {self.recorded}, so give {self.data_path} with "
            f"{DATA_PATH_VARIABLE} (or --data-path) each time it is opened"
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"


def adopt_data_path(
    location: str | os.PathLike[str] | None, *, data_path: str | os.PathLike[str] | None = None
) -> Adoption:
    """Make `data_path` (else the one the catalog was made with) the data path of the shared
    registry `location` names, whose catalog its mark names at another place (the catalog
    moved, or a copy of it given a copy of the folder): it opens there from then on."""
    db, data, held = adopt(location, data_path=data_path)
    before_key = None
    if held is not None:
        before_key = f"catalog {held.catalog} at {held.place or 'an unrecorded place'}"
    recorded = db.stored_data_path()
    return Adoption(
        registry=shown(db.url),
        data_path=data.url(),
        key=catalog_key(db),
        before=None if held is None else held.registry,
        before_key=before_key,
        recorded=None if same_data_path(recorded, data.url()) else recorded,
    )


def same_data_path(recorded: str | None, given: str) -> bool:
    """Whether the data path a catalog records (None: none) names the folder `given`."""
    if recorded is None:
        return True
    if on_object_storage(recorded) or on_object_storage(given):
        return recorded.rstrip("/") == given.rstrip("/")
    return os.path.normpath(recorded) == os.path.normpath(given)
