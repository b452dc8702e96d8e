"""`phrases`: a listed phrase appears anywhere in the fully normalized text.

What it matches:
    A sequence of whole words, with any whitespace or punctuation between them, seen through the
    same normalization as ``words`` (``free nitro`` matches ``FREE...n1tro``).

Parameters:
    A list of phrases.

Example:
    match: {phrases: ["free nitro", "kiếm tiền online"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition
from bot.rules.conditions.words import Problems, compile_word_entries, entry_problems


def _prepare(params: list[str], modifiers: Mapping[str, Any], base_dir: Path) -> Problems:
    if not params:
        return [((), "expected at least one phrase")]
    return [((i,), msg) for (_, i), msg in entry_problems(params, "phrases")]  # type: ignore[misc]


def _compile(params: list[str], modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    return compile_word_entries(list(params), "phrase", 0, cc, "phrases")


CONDITION = Condition(
    key="phrases",
    params=list[str],
    compile=_compile,
    summary="a listed phrase appears anywhere",
    prepare=_prepare,
)
