"""Pure escalation: which strikes count at a time, and which ladder step a new offence crosses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.rules.actions import Sanction, harshest


class LadderStepLike(Protocol):
    """A rung of ``escalation.ladder``: at ``strikes`` active strikes, apply ``sanction``."""

    @property
    def strikes(self) -> int: ...

    @property
    def sanction(self) -> Sanction: ...


@dataclass(frozen=True, slots=True)
class Step:
    """A plain ladder step (tests and callers without the rules package's model)."""

    strikes: int
    sanction: Sanction


@dataclass(frozen=True, slots=True)
class Strike:
    """``count`` strikes one case gave, from ``created_at`` until ``expires_at`` (None: never)."""

    case_id: int
    count: int
    created_at: datetime
    expires_at: datetime | None = None
    pardoned_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Counts at ``now``: already given, not expired, not pardoned (by then)."""
        if self.created_at > now:
            return False
        if self.pardoned_at is not None and self.pardoned_at <= now:
            return False
        return self.expires_at is None or self.expires_at > now


def active_strikes(strikes: Iterable[Strike], now: datetime) -> int:
    """The member's strikes that count at ``now``: unexpired and unpardoned."""
    return sum(s.count for s in strikes if s.active(now))


def strike_expiry(now: datetime, strikes_expire: timedelta | None) -> datetime | None:
    """When a strike given at ``now`` stops counting (None: never)."""
    return None if strikes_expire is None else now + strikes_expire


def pardon(strikes: Iterable[Strike], case_id: int, now: datetime) -> list[Strike]:
    """The same strikes with those of ``case_id`` pardoned at ``now`` (they stop counting)."""
    return [
        replace(s, pardoned_at=now) if s.case_id == case_id and s.pardoned_at is None else s
        for s in strikes
    ]


@dataclass(frozen=True, slots=True)
class Escalation:
    """The result of adding strikes: counts before/after, the step crossed, the sanction to apply.

    ``sanction`` is the harshest of the decision's own sanction and the crossed step's.
    """

    before: int
    added: int
    after: int
    step: int | None  # strikes threshold of the highest step crossed
    step_sanction: Sanction | None
    sanction: Sanction | None


def crossed_steps(
    before: int, after: int, ladder: Sequence[LadderStepLike]
) -> list[LadderStepLike]:
    """Steps whose threshold lies in (before, after]: reached now, not already before."""
    return [s for s in ladder if before < s.strikes <= after]


def escalate(
    before: int,
    added: int,
    own_sanction: Sanction | None,
    ladder: Sequence[LadderStepLike],
) -> Escalation:
    """Add ``added`` strikes to ``before`` active ones and decide the sanction.

    Crossing a step applies that step's sanction; when one offence crosses several steps (a rule
    giving 3 strikes), the harshest of them applies. Strikes from several rules on one message come
    in already added up (``ActionSet.strikes``), so they cross steps together. With no step crossed,
    only the decision's own sanction (if any) applies.
    """
    if added < 0 or before < 0:
        raise ValueError("strike counts are never negative")
    after = before + added
    crossed = crossed_steps(before, after, ladder) if added else []
    step_sanction: Sanction | None = None
    step: int | None = None
    if crossed:
        best = max(crossed, key=lambda s: (s.sanction.severity(), s.strikes))
        step_sanction, step = best.sanction, best.strikes
    return Escalation(
        before=before,
        added=added,
        after=after,
        step=step,
        step_sanction=step_sanction,
        sanction=harshest(own_sanction, step_sanction),
    )
