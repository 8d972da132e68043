"""Hand-made skops files whose only job is to create a marker directory when loaded.

Each file is a zip holding a `schema.json`, as skops writes them, whose nodes name
a callable that runs code. `direct` files call it from a ConstructorFromReduceNode
(`name(*args)`); `partial` files wrap it in a `functools.partial` that the loader
calls while it rebuilds a dict (a dict's key types are called on its keys). If a
loader trusted the named callable, the marker would exist afterwards.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skops.io

RUNSTRING = "numpy.testing._private.utils.runstring"
SKLEARN_SCRIPT = "sklearn.utils._testing.assert_run_python_script_without_output"


class Mkdir:
    """Unpickling this creates `path`: the payload of a pickled NumPy object array."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.path,))


@dataclass(frozen=True)
class Payload:
    """How to make `name` create the marker: `name(*args)`, or `name(key, **kwargs)`."""

    name: str
    args: list[Any]
    key: str
    kwargs: dict[str, Any]


NAMES = [
    RUNSTRING,
    "builtins.eval",
    "builtins.exec",
    "os.system",
    "subprocess.Popen",
    "numpy.load",
    SKLEARN_SCRIPT,
]


def payload(name: str, marker: Path) -> Payload:
    """The payload of `name` (one of NAMES); `marker` must not exist yet."""
    code = f"__import__('os').mkdir({str(marker)!r})"
    pickled = marker.parent / "payload.npy"
    np.save(pickled, np.array([Mkdir(str(marker))], dtype=object), allow_pickle=True)
    shell = f"mkdir '{marker}'"
    payloads = [
        Payload(RUNSTRING, [code, {}], code, {"dict": {}}),
        Payload("builtins.eval", [code], code, {}),
        Payload("builtins.exec", [code], code, {}),
        Payload("os.system", [shell], shell, {}),
        Payload("subprocess.Popen", [["mkdir", str(marker)]], shell, {"shell": True}),
        Payload("numpy.load", [str(pickled), None, True], str(pickled), {"allow_pickle": True}),
        Payload(SKLEARN_SCRIPT, [code], code, {}),
    ]
    return next(each for each in payloads if each.name == name)


def direct(payload: Payload) -> bytes:
    """A file whose root object is `name(*args)`."""
    module, _, attr = payload.name.rpartition(".")
    return _zip(
        {
            "__class__": attr,
            "__module__": module,
            "__loader__": "ConstructorFromReduceNode",
            "content": _json(payload.args),
        }
    )


def partial(payload: Payload) -> bytes:
    """A file whose root dict has `partial(name, **kwargs)` as the type of its one key."""
    module, _, attr = payload.name.rpartition(".")
    wrapper = {
        "__class__": "partial",
        "__module__": "functools",
        "__loader__": "PartialNode",
        "content": {
            "func": {"__class__": attr, "__module__": module, "__loader__": "FunctionNode"},
            "args": _json([]),
            "kwds": _json(payload.kwargs),
            "namespace": _json(None),
        },
    }
    return _zip(
        {
            "__class__": "dict",
            "__module__": "builtins",
            "__loader__": "DictNode",
            "content": {payload.key: _json(1)},
            "key_types": {
                "__class__": "list",
                "__module__": "builtins",
                "__loader__": "ListNode",
                "content": [wrapper],
            },
        }
    )


def settle(loaded: Any) -> None:
    """Wait for any process a loaded payload started, so its marker is there or never will be."""
    for item in [loaded, *(loaded if isinstance(loaded, dict) else [])]:
        if isinstance(item, subprocess.Popen):
            item.wait(timeout=60)


def _json(value: Any) -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }


def _zip(root: dict[str, Any]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(0))) as real:
        header = json.loads(real.read("schema.json"))
    root |= {"protocol": header["protocol"], "_skops_version": header["_skops_version"]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", json.dumps(root))
    return buffer.getvalue()


def hand_made(root: dict[str, Any]) -> bytes:
    """A skops file whose schema is `root`, as a hand-made (or damaged) file can be."""
    return _zip(root)
