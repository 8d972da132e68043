"""The version a registration would repeat, for `register(..., if_new=True)`.

A script that retries a failed registration, or a notebook run again from the top, must
not fill the registry with copies. A draft repeats a stored version when the model is the
same (by content: `digests.model_digest`, since skops' bytes differ from dump to dump),
trained on the same data (the full-content fingerprint) and reported with the same
metrics; archived versions do not count.

The version handed back is the stored one, unchanged: tags or a description given with
the repeated registration are not applied to it, and its `note` says so.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import IntegrityError
from jupyter_mlops.registry.artifacts import ArtifactStore
from jupyter_mlops.registry.digests import model_digest

if TYPE_CHECKING:
    from jupyter_mlops.registry.records import Version
    from jupyter_mlops.registry.registration import Draft


def repeated_version(
    rows: list[dict[str, Any]], draft: Draft, artifacts: ArtifactStore, *, model: str
) -> int | None:
    """The number of the stored version (among `rows`, a model's versions) that `draft`
    repeats, or None."""
    record = draft.record
    wanted: str | None = None
    for row in rows:
        alike = (
            row["status"] != "archived"
            and row["format"] == record["format"]
            and row["data_fingerprint"] == record["data_fingerprint"]
            and json.loads(row["metrics"]) == json.loads(record["metrics"])
        )
        if not alike:
            continue
        wanted = wanted or model_digest(draft.artifact, encoding=record["format"])
        try:
            stored = artifacts.get(
                row["artifact_sha256"], label=f"{model} version {row['version']}"
            )
        except IntegrityError:
            continue  # a damaged version is not one to hand back
        if model_digest(stored, encoding=row["format"]) == wanted:
            return int(row["version"])
    return None


def reused(version: Version, *, tags: dict[str, str], description: str) -> Version:
    """`version`, returned in place of a repeated registration, with a note saying so and
    naming what was given with the repeat but not applied (tags, a description)."""
    skipped = [
        f"tag {key}={value}" for key, value in tags.items() if version.tags.get(key) != value
    ]
    if description and description != version.description:
        skipped.append(f"description {description!r} (a version's description is fixed)")
    note = (
        f"not stored again: version {version.version} already holds this model, data and "
        "metrics (if_new)"
    )
    if skipped:
        note += (
            f"; not applied: {', '.join(skipped)}; set tags with "
            f"`%mlops tag {version.model} {version.version} KEY=VALUE`"
        )
    return dataclasses.replace(version, note=note)
