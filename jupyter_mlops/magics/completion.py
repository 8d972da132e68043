"""Tab completion for `%mlops`: subcommands, then model names, their aliases and versions."""

from __future__ import annotations

from typing import Any

from IPython.core.completer import (
    CompletionContext,
    SimpleCompletion,
    SimpleMatcherResult,
    context_matcher,
)

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.magics.mlops import MlopsMagics
from jupyter_mlops.registry.refs import split_ref


def matcher(magics: MlopsMagics) -> Any:
    """An IPython matcher for lines starting with %mlops; it replaces every other matcher there."""

    @context_matcher()
    def complete_mlops(context: CompletionContext) -> SimpleMatcherResult:
        before = context.text_until_cursor.lstrip()
        if not before.startswith("%mlops"):
            return {"completions": []}
        words = before.split()
        if before.endswith(" "):
            words.append("")
        if len(words) <= 2:
            names = sorted(magics.parser.subcommands)
        else:
            names = reference_names(magics, words[-1])
        token = context.token
        found = [
            SimpleCompletion(text=name, type="mlops") for name in names if name.startswith(token)
        ]
        return {"completions": found, "suppress": True}

    return complete_mlops


def reference_names(magics: MlopsMagics, word: str) -> list[str]:
    """Model names; after `name@` that model's aliases, after `name:` its version numbers
    (IPython completes what follows the '@' or the ':')."""
    try:
        registry = magics.connection.registry
        model, separator, _ = split_ref(word)
        if separator == "@":
            return [alias for _, alias in registry.aliases(model)]
        if separator == ":":
            return [str(version.version) for version in registry.versions(model)]
        return registry.model_names()
    except MlopsError:
        return []
