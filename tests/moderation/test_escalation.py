"""Escalation with plain values and an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.moderation.escalation import (
    Step,
    Strike,
    active_strikes,
    crossed_steps,
    escalate,
    pardon,
    strike_expiry,
)
from bot.rules.actions import Ban, Kick, Mute, Warn

T0 = datetime(2025, 1, 1, tzinfo=UTC)
LADDER = [
    Step(1, Warn()),
    Step(3, Mute(timedelta(hours=1))),
    Step(5, Mute(timedelta(days=1))),
    Step(7, Ban()),
]


def test_active_strikes_ignore_expired_pardoned_and_future() -> None:
    strikes = [
        Strike(1, 2, T0, T0 + timedelta(days=30)),
        Strike(2, 1, T0, T0 + timedelta(days=1)),
        Strike(3, 4, T0, None, pardoned_at=T0 + timedelta(hours=1)),
        Strike(4, 1, T0 + timedelta(days=2), None),
    ]
    assert active_strikes(strikes, T0) == 2 + 1 + 4
    assert active_strikes(strikes, T0 + timedelta(hours=2)) == 3
    assert active_strikes(strikes, T0 + timedelta(days=3)) == 3
    assert active_strikes(strikes, T0 + timedelta(days=31)) == 1


def test_strike_expiry() -> None:
    assert strike_expiry(T0, None) is None
    assert strike_expiry(T0, timedelta(days=30)) == T0 + timedelta(days=30)


def test_pardon_removes_only_that_cases_strikes() -> None:
    strikes = [Strike(1, 2, T0), Strike(2, 3, T0)]
    after = pardon(strikes, 2, T0 + timedelta(minutes=1))
    assert active_strikes(after, T0 + timedelta(minutes=2)) == 2
    # Pardoning is not retroactive in time: it counted before the pardon.
    assert active_strikes(after, T0) == 5


@pytest.mark.parametrize(
    ("before", "added", "step", "sanction"),
    [
        (0, 1, 1, Warn()),
        (1, 1, None, None),
        (2, 1, 3, Mute(timedelta(hours=1))),
        (0, 3, 3, Mute(timedelta(hours=1))),  # crosses 1 and 3: the harsher applies
        (4, 3, 7, Ban()),
        (7, 1, None, None),  # beyond the top: nothing new crossed
        (0, 0, None, None),
    ],
)
def test_ladder_steps(before: int, added: int, step: int | None, sanction: object) -> None:
    esc = escalate(before, added, None, LADDER)
    assert (esc.before, esc.after, esc.step, esc.sanction) == (
        before,
        before + added,
        step,
        sanction,
    )


def test_harshest_of_own_and_step_sanction_wins() -> None:
    assert escalate(0, 1, Kick(), LADDER).sanction == Kick()
    assert escalate(6, 1, Mute(timedelta(minutes=5)), LADDER).sanction == Ban()
    esc = escalate(2, 1, Mute(timedelta(days=2)), LADDER)
    assert esc.sanction == Mute(timedelta(days=2)) and esc.step_sanction == Mute(timedelta(hours=1))


def test_no_ladder_records_strikes_only() -> None:
    esc = escalate(5, 2, None, [])
    assert esc.after == 7 and esc.sanction is None and esc.step is None


def test_crossed_steps_and_negative() -> None:
    assert [s.strikes for s in crossed_steps(0, 5, LADDER)] == [1, 3, 5]
    with pytest.raises(ValueError, match="negative"):
        escalate(-1, 1, None, LADDER)


def test_several_rules_add_up_then_cross_together() -> None:
    # Two rules of 1 strike each on one message: the merged ActionSet has strikes=2.
    from bot.rules.actions import ActionSet

    merged = ActionSet(strikes=1).merge(ActionSet(strikes=1, sanction=Warn()))
    esc = escalate(1, merged.strikes, merged.sanction, LADDER)
    assert esc.after == 3 and esc.sanction == Mute(timedelta(hours=1))
