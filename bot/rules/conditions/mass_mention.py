"""`mass_mention`: a ping of everyone.

What it matches:
    Discord ``@everyone`` and ``@here`` (whether or not the member may ping); on Telegram, which
    has no such ping, and in text-only messages, the text ``@all``, ``@everyone`` or ``@here``.

Parameters:
    ``true``.

Example:
    match: {mass_mention: true}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject

_MASS = re.compile(r"(?<![\w@])@(everyone|here|all)\b")


def _compile(params: bool, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        if subject.message.mass_mention:
            return Match("mass_mention", None, "@everyone")
        if "@" not in subject.message.text:
            return None
        view = subject.nt.links
        found = _MASS.search(view.text)
        if found is None:
            return None
        start, end = view.original_span(found.start(), found.end())
        return Match("mass_mention", subject.nt.normalized_span(start, end), found.group(0))

    return Compiled(matcher, needs=(("mention_marks", 1),))


CONDITION = Condition(
    key="mass_mention",
    params=Literal[True],
    compile=_compile,
    summary="@everyone / @here or equivalent",
)
