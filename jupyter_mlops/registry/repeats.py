"""The version a registration would repeat: found and handed back instead of a copy.

A notebook run again from the top, or a script that retries a failed registration, must not
fill the registry with copies. A draft repeats a stored version (archived ones do not count)
when they have the same class, format and params, were trained on the same data (the
full-content fingerprint) and report the same metrics, and the model itself is the same:
the same bytes (skops files are written the same way for the same model: `canonical.py`),
else the same predictions on the same stored sample (the reference sample holds the model's
output on it: on held-out rows, or kept aside on training rows), else, with no predictions
to compare, the same content (`digests`, for artifacts stored before their bytes were
canonical).

The version handed back is the stored one, unchanged: tags or a description given with the
repeated registration are not applied to it, and its `note` says so. `force=True` stores
another version anyway. A repeat registered by a job's notebook is noted in that job's
folder (`tell_job`), so a retraining says its notebook registered nothing new, and why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.config import REPEATED, job_folder, job_id
from jupyter_mlops.errors import Command, Fix, IntegrityError, Note, Option, reference_command
from jupyter_mlops.registry.artifacts import ArtifactStore, sha256
from jupyter_mlops.registry.digests import model_digest

if TYPE_CHECKING:
    from jupyter_mlops.registry.records import Version
    from jupyter_mlops.registry.registration import Draft

# outputs.PREDICTION and outputs.FITTED, without importing pandas here
OUTPUTS = ("__prediction__", "__fitted_output__")
SAME = ("format", "model_class")  # and the data's fingerprint, today's or an earlier one


def _same_data(stored: str | None, draft: Draft) -> bool:
    """Whether a version holding fingerprint `stored` was trained on the draft's data."""
    given = draft.record["data_fingerprint"]
    return stored == given or (stored is not None and stored in draft.fingerprints)


def repeated_version(
    rows: list[dict[str, Any]], draft: Draft, artifacts: ArtifactStore, *, model: str
) -> int | None:
    """The number of the stored version (among `rows`, a model's versions) that `draft`
    repeats, or None."""
    record = draft.record
    for row in rows:
        alike = (
            row["status"] != "archived"
            and all(row[key] == record[key] for key in SAME)
            and _same_data(row["data_fingerprint"], draft)
            and json.loads(row["params"]) == json.loads(record["params"])
            and json.loads(row["metrics"]) == json.loads(record["metrics"])
            and row.get("positive_label") in (None, record.get("positive_label"))
        )
        label = f"{model} version {row['version']}"
        try:
            if alike and _same_model(row, draft, artifacts, label=label):
                return int(row["version"])
        except IntegrityError:
            continue  # a damaged version is not one to hand back
    return None


def _same_model(row: dict[str, Any], draft: Draft, artifacts: ArtifactStore, *, label: str) -> bool:
    """Whether the stored version's model is the draft's: by bytes, else by predictions on
    the same sample, else by content."""
    if row["artifact_sha256"] == sha256(draft.artifact):
        return True
    if row["reference_sha256"] and draft.reference:
        stored = artifacts.get(row["reference_sha256"], label=f"{label} reference sample")
        outcome = _same_predictions(stored, draft.reference)
        if outcome is not None:
            return outcome
    stored = artifacts.get(row["artifact_sha256"], label=label)
    encoding = row["format"]
    return model_digest(stored, encoding=encoding) == model_digest(
        draft.artifact, encoding=encoding
    )


def _same_predictions(stored: bytes, drafted: bytes) -> bool | None:
    """Whether two reference samples hold the same rows and the same model output on them;
    None when either holds no output (a model that only transforms)."""
    import pandas as pd

    first, second = pd.read_parquet(io.BytesIO(stored)), pd.read_parquet(io.BytesIO(drafted))
    if not any(name in first.columns and name in second.columns for name in OUTPUTS):
        return None
    return bool(first.equals(second))


def restore_files(version: Version, draft: Draft, artifacts: ArtifactStore) -> None:
    """Store again the files of `version` that `draft` holds byte for byte: one damaged on
    disk is written whole again, and each one's age restarts (as a registration's would)."""
    with artifacts.in_use():
        for digest, data in (
            (version.artifact_sha256, draft.artifact),
            (version.reference_sha256, draft.reference),
        ):
            if data is not None and digest == sha256(data):
                artifacts.put(data)


def reused(version: Version, draft: Draft) -> Version:
    """`version`, returned in place of a repeated registration, with a note saying so and
    naming what was given with the repeat but not applied (tags, a description, other
    reference data)."""
    model, number = version.model, version.version
    tags, description = draft.given.tags, draft.given.description
    untagged = {key: value for key, value in tags.items() if version.tags.get(key) != value}
    skipped: list[list[str | Fix]] = [[f"tag {key}={value}"] for key, value in untagged.items()]
    if description and description != version.description:
        skipped.append([f"description {description!r} (a version's description is fixed)"])
    if (
        draft.record.get("reference_source") == "held-out"
        and draft.reference
        and version.reference_sha256 != sha256(draft.reference)
    ):
        fix = reference_command(model, number)
        skipped.append(["the reference data given (set it with `", fix, "`)"])
    parts: list[str | Fix] = [
        f"version {number} is identical (same params, data, metrics and model); nothing "
        "stored; pass ",
        Option("force", python="True"),
        " to store another",
    ]
    if skipped:
        parts += ["; not applied: ", *_listed(skipped)]
    if untagged:
        tag = Command(
            "tag",
            f"{model} {number} KEY=VALUE",
            python=f"registry.tag({model!r}, {number}, {{KEY: VALUE}})",
        )
        parts += ["; set tags with `", tag, "`"]
    return dataclasses.replace(version, note=Note(*parts))


def _listed(items: list[list[str | Fix]]) -> list[str | Fix]:
    """Items of parts joined with commas, as one list of parts."""
    joined: list[str | Fix] = [*items[0]]
    for item in items[1:]:
        joined += [", ", *item]
    return joined


def tell_job(home: Path, version: Version) -> Version:
    """`version`, handed back as a repeat; noted for the job whose notebook registered it
    (in its folder under `home`, while it runs), so the job can say why nothing is new."""
    job = job_id()
    folder = None if job is None else job_folder(home, job)
    if folder is not None and folder.is_dir():
        with contextlib.suppress(OSError), open(folder / REPEATED, "a") as notes:
            notes.write(json.dumps({"model": version.model, "version": version.version}) + "\n")
    return version
