"""Which refs a deployment may score in shadow beside the one it serves.

A shadow is another version of the served model (its challenger, as a rule): its outputs
are logged under the served requests' ids to be compared with the served version's, which
means nothing for another model, and nothing for the served ref itself nor the version it
serves now. `shadow_of` refuses those, and a ref that names no version, before anything is
started.
"""

from __future__ import annotations

from jupyter_mlops.errors import InvalidArgumentError, Option
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.refs import parse_ref


def shadow_of(registry: Registry, served: str, shadow: str | None) -> str | None:
    """`shadow` as the server follows it (a bare name: its champion), once it is known to
    be another ref of the model `served` (already resolved) serves; None stays None."""
    if shadow is None:
        return None
    model, other = parse_ref(served).model, parse_ref(shadow).model
    example = Option("shadow", python=f"'{model}@challenger'", typed=f"{model}@challenger")
    if other != model:
        raise InvalidArgumentError(
            f"the shadow {shadow} is a version of {other}, not of {model}, whose requests "
            f"it would score; shadow a version of {model} (",
            example,
            ").",
        )
    resolved = registry.watched(shadow)
    if resolved == served:
        raise InvalidArgumentError(
            f"the shadow {shadow} is {served}, the ref being served, so it would only repeat "
            "its answers; shadow another version (",
            example,
            ").",
        )
    scored = registry.get(resolved)  # an unknown alias or version is refused here
    if scored.version == registry.get(served).version:
        raise InvalidArgumentError(
            f"the shadow {shadow} is {model} version {scored.version}, the version {served} "
            "serves now, so it would only repeat its answers; shadow another version (",
            example,
            ").",
        )
    return resolved
