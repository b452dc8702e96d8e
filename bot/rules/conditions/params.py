"""Parameter types shared by several conditions (durations, counts, thresholds)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.rules.durations import parse_duration


def _duration(value: object) -> timedelta:
    # Raised as ValueError so pydantic reports it at the value's position, with our wording.
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Count = Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    """Base for parameter mappings: unknown keys are errors, values are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AtLeast(Strict):
    """``{at_least: N}``."""

    at_least: Count


class Under(Strict):
    """``{under: DURATION}``."""

    under: Duration


class Window(Strict):
    """``{messages: N, within: DURATION}``."""

    messages: Count
    within: Duration
