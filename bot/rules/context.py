"""What the engine is given besides the message: the time, the member's recent history, toxicity scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.rules.history import History


@dataclass(slots=True)  # not frozen: callers build one per message, and frozen costs 3x more
class EvalContext:
    """The values ``Engine.decide`` needs beyond the message; the engine reads no clock of its own.

    ``history`` is the caller's sliding window (the engine records the message into it);
    ``scores`` are toxicity scores by label, fetched by the caller when ``engine.needs_scores``;
    ``scorer_failed`` tells toxicity rules that scoring was attempted and failed.
    """

    now: datetime
    history: History | None = None
    scores: Mapping[str, float] | None = None
    scorer_failed: bool = False
