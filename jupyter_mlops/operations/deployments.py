"""Deployments: a model server started in the background or the foreground, listed with
its health, stopped."""

from __future__ import annotations

from typing import NoReturn

from jupyter_mlops import deploying
from jupyter_mlops.deploying import Deployment, DeploymentList
from jupyter_mlops.registry import Registry


def deploy(
    registry: Registry,
    *,
    ref: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    shadow: str | None = None,
) -> Deployment:
    """Serve `ref` (a name follows its champion) over HTTP in a background process; the
    deployment with its token, which is shown this once. `shadow` (`churn@challenger`):
    another ref of the model that scores every answered request off the answer path,
    logged under the same request ids for `compare_live`."""
    return deploying.deploy(registry, ref, host=host, port=port, shadow=shadow)


def deployments(
    registry: Registry, *, model: str | None = None, running_only: bool = False
) -> DeploymentList:
    """Every deployment (of `model`): url, pid, running, dead or stopped, with its health."""
    return deploying.deployments(registry, model=model, running_only=running_only)


def undeploy(registry: Registry, *, target: str | int) -> DeploymentList:
    """Stop a deployment by id, or every running one of a `name@alias`, gracefully."""
    return deploying.undeploy(registry, target)


def serve(
    registry: Registry,
    *,
    ref: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str,
    shadow: str | None = None,
) -> NoReturn:
    """Serve `ref` in this process, in the foreground, until it is stopped (`shadow`: as
    `deploy` takes it)."""
    deploying.serve(registry, ref, host=host, port=port, token=token, shadow=shadow)
