"""The toxicity scorer a rule set asks for: which settings need one, loading it, a stand-in on failure.

A scorer is loaded for a *key*, ``(backend, model)``, taken from the rules' ``toxicity`` settings, and
only when some rule needs scores. ``toxicity.on_error`` is not part of the key: the pipeline reads it
from the rule set it runs with, so changing it needs no new scorer. Loading is blocking (detoxify
takes seconds): callers run ``load_for`` / a ``ScorerLoader`` in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import structlog

from bot.rules import RuleSet

log = structlog.get_logger("bot.moderation.scoring")

ScorerKey = tuple[str, str | None]
"""``(backend, model)`` a scorer is loaded for; the model only counts for ``detoxify``."""


class ClosableScorer(Protocol):
    """A loaded scorer as the pipeline holds it (``bot.toxicity.Scorer`` is one)."""

    async def score(self, text: str) -> Mapping[str, float]: ...

    async def aclose(self) -> None: ...


ScorerLoader = Callable[[ScorerKey], ClosableScorer]
"""Loads the scorer for a key; blocking; raises when it cannot."""


class UnavailableScorer:
    """Stands in for a scorer that could not be loaded, so ``toxicity.on_error`` decides."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def score(self, text: str) -> dict[str, float]:
        from bot.toxicity import ScorerUnavailable

        raise ScorerUnavailable(self.reason)

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class LoadedScorer:
    """The scorer a pipeline runs with and the settings it was loaded for.

    ``error`` is set when loading failed: ``scorer`` is then an ``UnavailableScorer`` and every
    score raises, so ``toxicity.on_error`` applies.
    """

    key: ScorerKey
    scorer: ClosableScorer
    error: str | None = None


class ScorerLoadFailed(Exception):
    """A reload asked for a scorer that could not be loaded; nothing was changed."""

    def __init__(self, key: ScorerKey, error: str) -> None:
        super().__init__(f"{describe(key)}: {error}")
        self.key = key
        self.error = error


def scorer_key(ruleset: RuleSet, needs_scores: bool) -> ScorerKey | None:
    """The key of the scorer these rules need; None when no rule needs scores or the backend is off."""
    settings = ruleset.toxicity
    backend = "off" if settings.backend in ("off", False) else str(settings.backend)
    if not needs_scores or backend == "off":
        return None
    return backend, (settings.model if backend == "detoxify" else None)


def describe(key: ScorerKey) -> str:
    """``builtin`` or ``detoxify (unbiased)``, for replies and logs."""
    backend, model = key
    return f"{backend} ({model})" if model else backend


def open_scorer(key: ScorerKey) -> ClosableScorer:
    """Load the scorer for ``key`` (blocking); raises ``ScorerUnavailable``, ``UnknownBackend``, ..."""
    from bot.toxicity import load_scorer

    return load_scorer(key[0], key[1])


def load_for(
    ruleset: RuleSet, needs_scores: bool, loader: ScorerLoader = open_scorer
) -> LoadedScorer | None:
    """At start-up: the scorer the rules need (None when none is), a failed load becoming an
    ``UnavailableScorer`` so the bot runs and ``toxicity.on_error`` decides. Blocking."""
    from bot.toxicity import ScorerUnavailable, UnknownBackend

    key = scorer_key(ruleset, needs_scores)
    if key is None:
        return None
    try:
        return LoadedScorer(key, loader(key))
    except (ScorerUnavailable, UnknownBackend) as exc:
        log.error("scorer_unavailable", scorer=describe(key), error=str(exc))
        return LoadedScorer(key, UnavailableScorer(str(exc)), error=str(exc))


@dataclass(frozen=True, slots=True)
class ScorerChange:
    """What a reload did to the toxicity scorer.

    ``kept``: the same scorer (settings unchanged); ``loaded``: a new scorer for ``key``;
    ``stopped``: no rule needs scores any more, the scorer was closed; ``unavailable``: the scorer
    for ``key`` could not be loaded and the running one had failed to load too, so the rules were
    used with a stand-in (``error`` says why) and ``toxicity.on_error`` decides.
    """

    kind: Literal["kept", "loaded", "stopped", "unavailable"]
    key: ScorerKey | None = None
    error: str | None = None
