"""The Controls tab: promote a version to an alias, roll an alias back, archive a version.

Each action asks for a reason, shows what it will change before it happens (the plan:
"champion: 7 -> 6; deployment churn@champion will follow") and waits for a confirming
click; the audit trail (who, when, why, from, to) sits beneath, newest first. A refusal
(no reason, nothing to roll back, an alias pointing at the version to archive) is said in
the status line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.errors import ConflictError, Face, InvalidArgumentError, MlopsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.refs import check_text
from jupyter_mlops.shown import shown_in
from jupyter_mlops.widgets.panel import Panel

ACTIONS = ("promote", "rollback", "archive")


@dataclass
class Found:
    versions: Any
    audit: Any

    def to_dict(self) -> dict[str, Any]:
        return {"versions": self.versions.to_dict(), "audit": self.audit.to_dict()}

    def _repr_html_(self) -> str:
        return str(self.audit._repr_html_())


class ControlsTab(Panel):
    """`propose(action)` shows the plan of an action; `confirm()` carries it out."""

    def __init__(self, registry: Registry, model: str, *, changed: Callable[[], Any]) -> None:
        self.model = model
        self.title = f"{model}: controls"
        self.changed = changed  # every open view of the model reads again after an action
        super().__init__(registry)
        self.alias = widgets.Combobox(value="champion", description="alias", ensure_option=False)
        self.version = widgets.Dropdown(description="version")
        self.reason = widgets.Text(
            placeholder="why (kept in the audit trail)", description="reason"
        )
        self.buttons = {name: widgets.Button(description=name.capitalize()) for name in ACTIONS}
        for name, button in self.buttons.items():
            button.on_click(lambda _, name=name: self.propose(name))
        self.plan = widgets.HTML()
        self.confirm_button = widgets.Button(description="Confirm", button_style="danger")
        self.confirm_button.disabled = True
        self.confirm_button.on_click(lambda _: self.confirm())
        for edited in (self.reason, self.version, self.alias):
            edited.observe(self._withdraw, names="value")
        self.audit = widgets.HTML()
        self.pending: Any = None
        self.proposed: Any = None  # the plan last shown
        self.body.children = [
            widgets.HBox([self.version, self.alias]),
            self.reason,
            widgets.HBox(list(self.buttons.values())),
            widgets.HBox([self.plan, self.confirm_button]),
            widgets.HTML("<b>audit trail, newest first</b>"),
            self.audit,
        ]

    def read(self) -> Found:
        versions = operations.versions(self.registry, model=self.model)
        return Found(versions, operations.audit(self.registry, model=self.model))

    def show(self, found: Found) -> None:
        numbers = [v.version for v in found.versions]
        chosen = self.version.value
        self.version.options = numbers
        if numbers:
            self.version.value = chosen if chosen in numbers else numbers[-1]
        aliases = sorted({alias for v in found.versions for alias in v.aliases} | {"champion"})
        self.alias.options = aliases
        self.audit.value = found.audit._repr_html_()

    def propose(self, action: str) -> Any:
        """Show what `action` would change, and wait for Confirm."""
        self._withdraw()
        reason = self.reason.value.strip()
        try:
            check_text(reason, what="reason")
        except MlopsError as exc:
            self.status.failed(exc)
            return None
        if not reason:
            self.status.failed(
                InvalidArgumentError(f"{action} needs a reason for the audit trail; type one.")
            )
            return None
        asked = (action, self.model, self.alias.value, self.version.value)

        def show(plan: Any) -> None:
            plan = shown_in(plan, Face.NOTEBOOK)
            self.proposed = plan
            self.plan.value = plan._repr_html_()
            if not plan.allowed:
                self.status.failed(MlopsError(plan.refusal.render(Face.NOTEBOOK)))
                return
            self.pending = (plan, reason)
            self.confirm_button.disabled = False
            self.status.done(f"{action}: check the plan, then Confirm")

        return self.loader.submit(lambda: self._plan(*asked), show)

    def _plan(self, action: str, model: str, alias: str, version: Any) -> Any:
        if action == "promote":
            return operations.plan_promote(self.registry, model=model, version=version, alias=alias)
        if action == "rollback":
            return operations.plan_rollback(self.registry, model=model, alias=alias)
        return operations.plan_archive(self.registry, model=model, version=version)

    def _withdraw(self, *_: Any) -> None:
        """Forget the plan shown: a changed reason, version or alias needs a new one."""
        self.pending = None
        self.confirm_button.disabled = True

    def confirm(self) -> Any:
        """Carry out the proposed action with its reason, if the registry still is as the
        plan saw it; every view of the model reads again."""
        if self.pending is None:
            self.status.failed(InvalidArgumentError("propose an action first."))
            return None
        plan, reason = self.pending
        self._withdraw()

        def act() -> Any:
            now = self._plan(plan.action, plan.model, plan.alias, plan.version)
            if (now.from_version, now.to_version, now.allowed) != (
                plan.from_version, plan.to_version, plan.allowed,
            ):  # fmt: skip
                raise ConflictError(
                    f"the registry changed since the plan was shown (now: {now}); nothing was "
                    "done: look at the new plan and confirm again."
                )
            return self._carry_out(plan, reason)

        def then(_: Any) -> None:
            self.plan.value = ""
            self.reason.value = ""
            self.changed()

        return self.act(f"{plan.action} {plan.model}", act, then)

    def _carry_out(self, plan: Any, reason: str) -> Any:
        if plan.action == "promote":
            return operations.promote(
                self.registry, model=plan.model, version=plan.to_version, alias=plan.alias,
                reason=reason,
            )  # fmt: skip
        if plan.action == "rollback":
            return operations.rollback(
                self.registry, model=plan.model, alias=plan.alias, reason=reason
            )
        return operations.archive(
            self.registry, model=plan.model, version=plan.version, reason=reason
        )
