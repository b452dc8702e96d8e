"""`toxicity`: the toxicity score of the message.

What it matches:
    Messages whose score (the highest over ``labels``) is at least ``at_least``. Scores come from
    the scorer chosen in the file's ``toxicity:`` settings; when scoring is off or failed the
    condition does not hold (``toxicity.on_error`` decides what else happens).

Parameters:
    ``{at_least: 0.9, labels: [toxicity, insult]}``; labels default to ``[toxicity]``.

Example:
    match: {toxicity: {at_least: 0.85}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Share, Strict


class ToxicityParams(Strict):
    """``{at_least: 0.9, labels: [...]}``."""

    at_least: Share
    labels: tuple[str, ...] = ("toxicity",)


def _compile(params: ToxicityParams, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        scores = subject.ctx.scores
        if not scores:
            return None
        label, score = max(
            ((lab, scores.get(lab, 0.0)) for lab in params.labels), key=lambda x: x[1]
        )
        if score >= params.at_least:
            return Match("toxicity", (0, len(subject.nt.text)), f"{label} {score:.2f}")
        return None

    return Compiled(matcher, needs_scores=True, needs=(("scored", 1),))


CONDITION = Condition(
    key="toxicity", params=ToxicityParams, compile=_compile, summary="toxicity score"
)
