"""The jupyter_server extension: the REST API under /mlops/api/ that the JupyterLab panel
reads and acts through. Enable it with `jupyter server extension enable jupyter_mlops.server`."""

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_mlops.server.extension import MlopsExtension

    return [{"module": "jupyter_mlops.server", "app": MlopsExtension}]
