from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.actions import (
    EMPTY,
    ActionError,
    ActionSet,
    Ban,
    Kick,
    Mute,
    Reply,
    Warn,
    harshest,
    merge_all,
    parse_action,
)

sanctions = st.one_of(
    st.none(),
    st.just(Warn()),
    st.builds(Mute, st.integers(1, 10**6).map(lambda s: timedelta(seconds=s))),
    st.just(Kick()),
    st.builds(Ban, st.one_of(st.none(), st.integers(1, 10**6).map(lambda s: timedelta(seconds=s)))),
)
action_sets = st.builds(
    ActionSet,
    delete=st.booleans(),
    strikes=st.integers(0, 5),
    sanction=sanctions,
    replies=st.frozensets(
        st.builds(Reply, st.sampled_from(["a", "b", "c"]), st.sampled_from(["r1", "r2"]))
    ),
    alert=st.booleans(),
)


@given(action_sets, action_sets)
def test_merge_commutes(a: ActionSet, b: ActionSet) -> None:
    assert a.merge(b) == b.merge(a)


@given(action_sets, action_sets, action_sets)
def test_merge_associates(a: ActionSet, b: ActionSet, c: ActionSet) -> None:
    assert a.merge(b).merge(c) == a.merge(b.merge(c))


@given(action_sets)
def test_merge_idempotent_but_strikes_add(a: ActionSet) -> None:
    twice = a.merge(a)
    assert twice.strikes == 2 * a.strikes
    assert twice.delete == a.delete and twice.sanction == a.sanction and twice.replies == a.replies
    assert a.merge(EMPTY) == a


def test_harshest_order() -> None:
    ladder = [
        Warn(),
        Mute(timedelta(minutes=5)),
        Mute(timedelta(days=1)),
        Kick(),
        Ban(timedelta(days=1)),
        Ban(),
    ]
    for i, weaker in enumerate(ladder):
        for stronger in ladder[i:]:
            assert harshest(weaker, stronger) == stronger
            assert harshest(stronger, weaker) == stronger


def test_several_rules_delete_once_strikes_add() -> None:
    merged = merge_all(
        [
            parse_action("delete"),
            parse_action({"strike": 3}),
            parse_action("delete"),
            parse_action("strike"),
            parse_action({"mute": "1h"}),
            parse_action({"mute": "10m"}),
        ]
    )
    assert merged.delete is True
    assert merged.strikes == 4
    assert merged.sanction == Mute(timedelta(hours=1))
    assert merged.to_yaml() == ["delete", {"mute": "1h"}, {"strike": 4}]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("explode", 'unknown action "explode"'),
        ("mute", "needs a value"),
        ({"mute": "10 seconds"}, "is not a duration"),
        ({"strike": 0}, "not a number of strikes"),
        ({"strike": "two"}, "not a number of strikes"),
        ({"reply": ""}, "expected a message template"),
        ({"mute": "1h", "ban": "1d"}, "one-key mapping"),
        (3, "one-key mapping"),
    ],
)
def test_bad_actions(item: object, message: str) -> None:
    with pytest.raises(ActionError, match=message):
        parse_action(item)
