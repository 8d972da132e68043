"""Deployment control: start a model server (`deploy`, `serve`), list (`deployments`) and
stop (`undeploy`) them from any process; the server itself is `jupyter_mlops.serving`."""

from jupyter_mlops.deploying.control import (
    NONCE_VARIABLE,
    TOKEN_VARIABLE,
    check_port,
    deploy,
    deployments,
    new_token,
    serve,
    undeploy,
)
from jupyter_mlops.deploying.records import Deployment, DeploymentList

__all__ = [
    "NONCE_VARIABLE",
    "TOKEN_VARIABLE",
    "Deployment",
    "DeploymentList",
    "check_port",
    "deploy",
    "deployments",
    "new_token",
    "serve",
    "undeploy",
]
