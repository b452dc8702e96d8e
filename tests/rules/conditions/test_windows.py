from datetime import timedelta

from tests.factories import T0, author, message


def test_rate_counts_this_message(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"rate": {"messages": 3, "within": "10s"}})
    assert not j.fires(message("a", seconds=0))
    assert not j.fires(message("b", seconds=1))
    assert j.fires(message("c", seconds=2))


def test_rate_window_slides(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"rate": {"messages": 3, "within": "10s"}})
    for s in (0, 6, 12, 18):
        assert not j.fires(message("x", seconds=s))


def test_rate_is_per_member(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"rate": {"messages": 2, "within": "10s"}})
    assert not j.fires(message("a", who=author("1")))
    assert not j.fires(message("a", who=author("2")))
    assert j.fires(message("a", who=author("1"), seconds=1))


def test_edits_do_not_count_twice(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"rate": {"messages": 2, "within": "10s"}})
    assert not j.fires(message("a"))
    assert not j.fires(message("a!", edited=True, seconds=1))


def test_duplicates_across_channels(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"duplicates": {"messages": 3, "within": "1m"}})
    assert not j.fires(message("buy now", channel="a"))
    assert not j.fires(message("BUY   NOW", channel="b", seconds=5))
    assert not j.fires(message("something else", channel="b", seconds=6))
    assert j.fires(message("buy now", channel="c", seconds=11))


def test_duplicates_expire(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"duplicates": {"messages": 2, "within": "1m"}})
    assert not j.fires(message("hi there"))
    assert not j.fires(message("hi there", at=T0 + timedelta(minutes=2)))


def test_history_is_bounded() -> None:
    from bot.rules import History

    h = History(max_per_member=10, max_members=100)
    for i in range(1000):
        for j in range(20):
            h.record(("d", "c", str(i)), T0 + timedelta(seconds=j), "x")
    assert len(h) == 100
    assert h.count_since(("d", "c", "999"), T0) == 10


def test_history_counts_a_late_message_in_time_order() -> None:
    from datetime import UTC, datetime, timedelta

    from bot.rules.history import History

    h = History()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    key = ("discord", "g", "1")
    h.record(key, t0 + timedelta(seconds=10), "a")
    h.record(key, t0 + timedelta(seconds=20), "b")
    h.record(key, t0 + timedelta(seconds=5), "a")  # arrives late
    assert h.count_since(key, t0 + timedelta(seconds=6)) == 2
    assert h.count_since(key, t0) == 3
    assert h.count_same_since(key, "a", t0) == 2
    assert h.count_same_since(key, "a", t0 + timedelta(seconds=6)) == 1


def test_reaches_agrees_with_counting() -> None:
    """``rate`` asks ``reaches`` (one step) for what ``count_since`` counts, late messages too."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.rules.history import History

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.integers(0, 120), max_size=40),
        st.integers(0, 130),
        st.integers(0, 45),
        st.integers(2, 64),
    )
    def check(seconds: list[int], since: int, count: int, per_member: int) -> None:
        h = History(max_window=timedelta(minutes=1), max_per_member=per_member)
        key = ("discord", "g", "1")
        for s in seconds:
            h.record(key, T0 + timedelta(seconds=s), "x")
        at = T0 + timedelta(seconds=since)
        assert h.reaches(key, count, at) == (h.count_since(key, at) >= count)
        assert h.reaches(("discord", "g", "2"), count, at) == (count <= 0)

    check()


def test_rate_feature_is_the_test_rate_starts_with() -> None:
    """The gate of ``rate`` (its window and count's feature) reaches the count exactly when the
    member's messages in the window do, late ones too, so skipping the matcher below it never
    changes a decision."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.rules import EvalContext
    from bot.rules.conditions.base import FEATURES, Subject
    from bot.rules.conditions.rate import member_reaches
    from bot.rules.history import History

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 120)), max_size=40),
        st.integers(1, 70),
        st.integers(1, 17),
    )
    def check(records: list[tuple[int, int]], window: int, count: int) -> None:
        within = timedelta(seconds=window)
        feature = FEATURES[member_reaches(within, count)]
        assert member_reaches(within, count) == member_reaches(within, count)
        h = History(max_window=timedelta(minutes=1), max_per_member=16)
        for who, s in records:
            m = message("x", seconds=s, who=author(str(who)))
            subject = Subject(m, EvalContext(now=m.timestamp, history=h))
            h.record(subject.member_key, m.timestamp, "x")
            counted = h.count_since(subject.member_key, m.timestamp - within)
            assert (feature(subject) >= count) == (counted >= count)
            assert feature(subject) in (0, count)
        m = message("x")
        assert feature(Subject(m, EvalContext(now=m.timestamp))) == 0  # no history

    check()
