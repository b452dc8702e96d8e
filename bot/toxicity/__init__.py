"""Toxicity scoring: the Scorer interface, its errors and ``load_scorer`` for each backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

Scores = dict[str, float]
"""Per-label scores in [0, 1]; always has the key ``"toxicity"``."""

BACKENDS = ("builtin", "detoxify", "off")


class ScorerUnavailable(Exception):
    """The scorer cannot give a score now: not installed, weights absent, failed or too slow.

    The pipeline applies ``toxicity.on_error`` when it catches this (see docs/toxicity.md).
    """


class ScorerTimeout(ScorerUnavailable):
    """The scorer did not answer within its timeout."""


class ScorerOverloaded(ScorerUnavailable):
    """Too many messages are already waiting for the scorer; this one was refused at once."""


class ScorerFailed(ScorerUnavailable):
    """The model raised while scoring a batch (the original exception is ``__cause__``)."""


class BackendNotInstalled(ScorerUnavailable):
    """The backend's optional dependencies are not installed (the message says what to install)."""


class ModelNotFound(ScorerUnavailable):
    """The model's files are not on disk (the message says where to put them)."""


class UnknownBackend(ValueError):
    """``toxicity.backend`` names no backend this bot has."""


class Model(Protocol):
    """A blocking model: the batcher calls it from a worker thread, never on the event loop."""

    name: str
    labels: tuple[str, ...]

    def cache_key(self, text: str) -> str:
        """Return the key two texts share when they must get the same scores."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        """Score a batch of raw message texts; blocking, CPU-bound."""
        ...


@runtime_checkable
class Scorer(Protocol):
    """What the rules engine calls: asynchronous, batched, cached, bounded in time."""

    name: str
    labels: tuple[str, ...]
    enabled: bool

    async def score_many(self, texts: Sequence[str]) -> list[Scores]:
        """Score texts; raises ``ScorerUnavailable`` (or a subclass) when no score can be given."""
        ...

    async def score(self, text: str) -> Scores:
        """Score one text (joins a micro-batch with concurrent callers)."""
        ...

    async def aclose(self) -> None:
        """Stop the worker; pending calls fail with ``ScorerUnavailable``."""
        ...


class DisabledScorer:
    """``backend: off``: every text scores 0 so no toxicity rule fires, and nothing is loaded."""

    name = "off"
    labels: tuple[str, ...] = ("toxicity",)
    enabled = False

    async def score_many(self, texts: Sequence[str]) -> list[Scores]:
        return [{"toxicity": 0.0} for _ in texts]

    async def score(self, text: str) -> Scores:
        return {"toxicity": 0.0}

    async def aclose(self) -> None:
        return None


def load_model(backend: str | bool | None, model: str | None = None) -> Model:
    """Load the blocking model of a backend (``builtin`` or ``detoxify``), raising clearly."""
    name = _backend_name(backend)
    if name == "builtin":
        from bot.toxicity.builtin import BuiltinModel

        return BuiltinModel.load(model)
    if name == "detoxify":
        from bot.toxicity.detoxify import DetoxifyModel

        return DetoxifyModel.load(model or "original")
    raise UnknownBackend(f"backend {backend!r} has no model; expected one of {', '.join(BACKENDS)}")


def load_scorer(
    backend: str | bool | None = "builtin",
    model: str | None = None,
    *,
    timeout: float = 2.0,
    max_batch: int | None = None,
    max_wait: float = 0.005,
    cache_size: int = 10_000,
    max_pending: int = 2_000,
) -> Scorer:
    """Build the scorer for ``toxicity.backend`` / ``toxicity.model`` from the rules file.

    ``backend`` accepts ``False`` (YAML 1.1 reads unquoted ``off`` as false) and ``None`` as off.
    Loading is blocking (detoxify takes seconds): call it at startup or in a thread.
    Raises ``BackendNotInstalled``, ``ModelNotFound`` or ``UnknownBackend``.
    """
    name = _backend_name(backend)
    if name == "off":
        return DisabledScorer()
    from bot.toxicity.batcher import BatchingScorer

    loaded = load_model(name, model)
    batch = max_batch if max_batch is not None else (256 if name == "builtin" else 32)
    return BatchingScorer(
        loaded,
        timeout=timeout,
        max_batch=batch,
        max_wait=max_wait,
        cache_size=cache_size,
        max_pending=max_pending,
    )


def _backend_name(backend: str | bool | None) -> str:
    if backend is None or backend is False:
        return "off"
    if backend is True:
        return "builtin"
    name = str(backend).strip().lower()
    if name not in BACKENDS:
        raise UnknownBackend(
            f"toxicity.backend: unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}"
        )
    return name


__all__ = [
    "BACKENDS",
    "BackendNotInstalled",
    "DisabledScorer",
    "Model",
    "ModelNotFound",
    "Scorer",
    "ScorerFailed",
    "ScorerOverloaded",
    "ScorerTimeout",
    "ScorerUnavailable",
    "Scores",
    "UnknownBackend",
    "load_model",
    "load_scorer",
]
