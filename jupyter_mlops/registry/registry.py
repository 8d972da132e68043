"""The Registry: the one entry object for models, versions, aliases and their audit trail."""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import InvalidArgumentError, MlopsWarning, Option
from jupyter_mlops.registry import aliases as alias_moves
from jupyter_mlops.registry import archiving, serialization, team
from jupyter_mlops.registry.aliases import Move
from jupyter_mlops.registry.artifacts import ArtifactStore
from jupyter_mlops.registry.comparison import Comparison, compare_versions
from jupyter_mlops.registry.events import AliasEvent, History, Unmoved, VersionEvent
from jupyter_mlops.registry.integrity import IntegrityReport, check_integrity
from jupyter_mlops.registry.lookups import (
    find_version,
    model_versions,
    require_alias_known,
    require_model,
    version_ref,
    watched_ref,
)
from jupyter_mlops.registry.opening import opened
from jupyter_mlops.registry.records import ModelList, ModelSummary, Version, VersionList
from jupyter_mlops.registry.refs import (
    ModelRef,
    check_alias,
    check_name,
    check_tags,
    check_text,
    names_version,
    parse_ref,
)
from jupyter_mlops.registry.storing import store_version
from jupyter_mlops.store import catalog
from jupyter_mlops.store.alias_books import CatalogBook
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import shown
from jupyter_mlops.store.references import version_events

if TYPE_CHECKING:
    from jupyter_mlops.registry.registration import Registration


class Registry:
    """A model registry in one directory: `registry.duckdb` plus `artifacts/`; or a team's
    shared registry: a DuckLake catalog in PostgreSQL, its files under a data path (a folder
    every machine mounts, or a bucket: `s3://bucket/folder/`).

    `Registry()` uses the registry a notebook connected to (`%mlops connect`), else
    $MLOPS_REGISTRY, else $MLOPS_HOME, else ~/.jupyter-mlops; `Registry(path)` any
    directory; `Registry("ducklake:postgres:dbname=mlops host=db user=alice",
    data_path="/shared/mlops")` a shared one (its data path: `data_path`, else
    $MLOPS_DATA_PATH, else the one it was made with)."""

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        *,
        data_path: str | os.PathLike[str] | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        found = opened(location, data_path=data_path, lock_timeout=lock_timeout)
        self.db: Store = found.db
        self.home, self.location, self.data = found.home, found.location, found.data
        self.artifacts = ArtifactStore(self.data, home=self.home)

    def __repr__(self) -> str:
        return f"Registry({self.shown!r})"

    @property
    def shared(self) -> bool:
        """Whether this is a team's shared registry (a DuckLake catalog), not a file."""
        return isinstance(self.db, LakeDatabase)

    @property
    def data_path(self) -> str:
        """Where its artifacts and logs are: a folder, or a bucket's `s3://` URL."""
        return self.data.url()

    @property
    def shown(self) -> str:
        """Where this registry lives, as messages show it (a URL without its password)."""
        return shown(self.location) if self.shared else str(self.home)

    # writing versions

    def register(
        self,
        name: str,
        model: Any,
        *,
        X: Any = None,
        y: Any = None,
        metrics: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        code: str | None = None,
        notebook: str | None = None,
        trust: str | Iterable[str] = (),
        allow_pickle: bool = False,
        run_id: str | None = None,
        force: bool = False,
        if_new: bool = True,
        reference: Any = None,
        positive_label: Any = None,
    ) -> Version:
        """Store `model` as the next version of `name`, with what it was trained on.

        `reference=(X_val, y_val)`: held-out rows the model did not see, which monitoring
        compares with (drift, prediction drift, calibrated estimates). Without it only
        feature drift is measured, against the training rows `X`.

        The model's task (classifier or regressor) is recorded, and for a binary classifier
        the class its scores, F1 and AUC refer to: its second class (`classes_[1]`, the
        column `predict_proba` gives as `[:, 1]`), or `positive_label`, one of its classes.

        A version of `name` that this one would repeat (same params, data, metrics and model:
        `repeats.py`) is returned instead, with a note: a cell run again, or a registration
        retried after a failure or a crash, stores one version, not two. `force=True` stores
        another anyway (`if_new=False`, from before this was the default, says the same).
        """
        from jupyter_mlops.registry.registration import Registration

        given = Registration(
            model,
            X=X,
            y=y,
            metrics=metrics,
            params=params,
            description=description,
            tags=dict(tags or {}),
            code=code,
            notebook=notebook,
            trust=trust,
            allow_pickle=allow_pickle,
            run_id=run_id,
            reference=reference,
            positive_label=positive_label,
        )
        return self.store(name, given, force=force or not if_new)

    def store(self, name: str, given: Registration, *, force: bool = False) -> Version:
        """Store what `given` bundles as the next version of `name`: `register` with its
        arguments in one object (what the command line and `%mlops register` build)."""
        from jupyter_mlops.registry import registration  # pandas, NumPy: when used

        team.require_writable(self.db)
        check_name(name)
        check_text(given.description, what="description")
        tags = check_tags(given.tags)
        draft = registration.draft_version(dataclasses.replace(given, tags=tags))
        return store_version(self.db, self.artifacts, name, draft, repeats=not force)

    # reading

    def models(self) -> ModelList:
        rows = self.db.remembered("models", catalog.list_models)
        return ModelList(ModelSummary(**row) for row in rows)

    def model_names(self) -> list[str]:
        return self.db.remembered("model names", catalog.model_names)

    def aliases(self, name: str | None = None) -> list[tuple[str, str]]:
        """(model, alias) pairs, of one model or of all."""
        pairs = self.db.remembered("aliases", catalog.all_aliases)
        return [pair for pair in pairs if name is None or pair[0] == name]

    def versions(self, name: str) -> VersionList:
        return self.db.remembered(("versions", name), lambda conn: model_versions(conn, name))

    def get(self, ref: str | ModelRef) -> Version:
        """The version a reference names: `churn`, `churn@champion`, `churn:3`."""
        found = parse_ref(ref) if isinstance(ref, str) else ref
        return self.db.remembered(("get", found), lambda conn: find_version(conn, found))

    def watched(self, ref: str) -> str:
        """`ref` as monitoring and serving read it: a bare name means its champion alias."""
        if names_version(ref):
            return ref
        return self.db.remembered(("watched", ref), lambda conn: str(watched_ref(conn, ref)))

    def load(
        self, ref: str | ModelRef, *, trust: str | Iterable[str] = (), allow_pickle: bool = False
    ) -> Any:
        """The model object of a version, its bytes verified against the recorded sha256."""
        version = self.get(ref)
        label = f"{version.model} version {version.version}"
        if version.status == "archived":
            with self.db.read() as conn:
                warning = archiving.archived_warning(conn, version)
            warnings.warn(warning, MlopsWarning, stacklevel=2)
        data = self.artifacts.get(version.artifact_sha256, label=label)
        return serialization.load(
            data,
            encoding=version.format,
            trusted_types=version.trusted_types,
            label=label,
            trust=trust,
            allow_pickle=allow_pickle,
        )

    def set_reference(
        self,
        name: str,
        version: int | str,
        X: Any,
        y: Any = None,
        *,
        reason: str = "",
        allow_pickle: bool = False,
    ) -> Version:
        """Give a stored version held-out reference data (replacing what it had), audited:
        monitoring compares its later data, outputs and scores with these rows (the model
        scores them: `allow_pickle` for a version stored as a pickle)."""
        from jupyter_mlops.registry import references  # pandas, NumPy: when used

        check_text(reason, what="reason")
        team.require_writable(self.db)
        target = self.get(version_ref(name, version))
        model = self.load(target.ref, allow_pickle=allow_pickle)
        return references.replace(
            target, model, X=X, y=y, reason=reason, db=self.db, artifacts=self.artifacts
        )

    def profile(self, ref: str | ModelRef) -> list[dict[str, Any]]:
        """The reference profile recorded at registration (one entry per feature)."""
        version = self.get(ref)
        with self.db.read() as conn:
            rows = catalog.version_profiles(conn, version.model, version.version)
        return [{**row, "stats": json.loads(row["stats"])} for row in rows]

    def history(self, name: str, alias: str | None = None, *, limit: int | None = None) -> History:
        """Every alias move of a model (or of one alias), oldest first: the last `limit`."""
        if alias is not None:
            check_alias(alias)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 2**62
        ):
            raise InvalidArgumentError(
                "", Option("limit", python=repr(limit), typed=str(limit)),
                " is not a number of events; give 1 or more, e.g. ",
                Option("limit", python="20", typed="20"), ".",
            )  # fmt: skip
        with self.db.read() as conn:
            require_model(conn, name)
            if alias is not None:
                require_alias_known(conn, name, alias)
            rows = catalog.alias_events(conn, name, alias, limit=limit)
            events: list[Any] = [AliasEvent.from_row(row) for row in rows]
            if alias is None:
                changes = version_events(conn, name, limit=limit)
                events += [VersionEvent(**row) for row in changes]
        ordered = sorted(events, key=lambda event: event.moved_at)
        return History(ordered if limit is None else ordered[len(ordered) - limit :])

    def compare(self, name: str, a: int | str, b: int | str) -> Comparison:
        with self.db.read() as conn:
            first = find_version(conn, version_ref(name, a))
            second = find_version(conn, version_ref(name, b))
        return compare_versions(first, second)

    def gc(self, *, older_than: float = 3600.0, dry_run: bool = False) -> list[str]:
        """Delete artifact files no version or run refers to (left by a crash mid-register),
        once older than `older_than` seconds; return what was deleted. On a shared registry
        only a role that may write it may delete its files."""
        if not dry_run:
            team.require_writable(self.db)

        def referenced() -> set[str]:
            with self.db.read() as conn:
                return {row["sha256"] for row in catalog.artifact_references(conn)}

        return self.artifacts.remove_unreferenced(
            referenced, older_than=older_than, dry_run=dry_run
        )

    def verify(self) -> IntegrityReport:
        """Check every version's artifacts against their recorded sha256."""
        with self.db.read() as conn:
            references = catalog.artifact_references(conn)
        return check_integrity(references, self.artifacts)

    # aliases and their audit trail

    def promote(
        self,
        name: str,
        version: int | str,
        alias: str = "champion",
        *,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        expect: int | None = None,
    ) -> AliasEvent | Unmoved:
        """Point `alias` at `version`; the move is recorded with who, when and why (a move
        to where the alias points already moves nothing, records nothing: `Unmoved`).

        `evidence` (a gate's numbers, a check id) is stored as JSON with the move: text keys,
        values JSON holds exactly (a NaN or any other object is refused). `expect`: the
        version the alias pointed at when the move was chosen; if it moved since, the move
        is refused with a `ConflictError` saying where it points now."""
        check_alias(alias)
        return alias_moves.make_move(
            self.db,
            lambda book: alias_moves.planned_promote(book, name, version, alias),
            reason=reason, evidence=evidence, expect=expect,
        )  # fmt: skip

    def rollback(
        self,
        name: str,
        alias: str = "champion",
        *,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        expect: int | None = None,
        to: int | None = None,
    ) -> AliasEvent | Unmoved:
        """Undo the alias's latest move not yet undone: it returns to where it pointed before,
        unless that version has been archived since (an archived version is never served).
        `evidence` as for `promote` (with `undoes_event`, the move undone). `expect`, as for
        `promote`, and `to`, the version the plan said it returns to: refused if not so now."""
        return alias_moves.make_move(
            self.db,
            lambda book: alias_moves.planned_rollback(book, name, alias),
            reason=reason, evidence=evidence, expect=expect, to=to,
        )  # fmt: skip

    def model_aliases(self, name: str) -> dict[str, int]:
        """The aliases of model `name` and the version each points at."""
        with self.db.read() as conn:
            require_model(conn, name)
            return catalog.model_aliases(conn, name)

    # what a change would do now, by the rules the change applies; nothing is changed

    def plan_promote(self, name: str, version: int | str, alias: str = "champion") -> Move:
        with self.db.read() as conn:
            return alias_moves.planned_promote(CatalogBook(conn), name, version, alias)

    def plan_rollback(self, name: str, alias: str = "champion") -> Move:
        with self.db.read() as conn:
            return alias_moves.planned_rollback(CatalogBook(conn), name, alias)

    def plan_archive(self, name: str, version: int | str) -> Move:
        with self.db.read() as conn:
            return archiving.planned_archive(conn, name, version)

    def remove_alias(self, name: str, alias: str, *, reason: str = "") -> AliasEvent:
        check_text(reason, what="reason")
        with self.db.moving() as book:
            return alias_moves.remove(book, name, alias, reason=reason)

    # other changes

    def archive(self, name: str, version: int | str, *, reason: str = "") -> Version:
        """Mark a version archived (kept, but no longer `latest` nor promotable); archived
        already, it is returned with a note saying since when."""
        check_text(reason, what="reason")
        with self.db.write() as conn:
            return archiving.archive(conn, name, version, reason)

    def tag(self, name: str, version: int | str, tags: Mapping[str, Any]) -> Version:
        """Set `tags` (key -> value, stored as text) on a version, replacing equal keys."""
        texts = check_tags(tags)
        with self.db.write() as conn:
            target = find_version(conn, version_ref(name, version))
            for key, value in texts.items():
                catalog.set_tag(conn, name, target.version, key, value)
            return find_version(conn, ModelRef(name, version=target.version))

    def describe(self, name: str, description: str) -> None:
        check_text(description, what="description")
        with self.db.write() as conn:
            require_model(conn, name)
            catalog.set_model_description(conn, name, description)
