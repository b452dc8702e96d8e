from tests.factories import author, message


def test_keys_in_one_mapping_are_and(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["spam"], "channels": ["general"]})
    assert j.fires(message("spam", channel="general"))
    assert not j.fires(message("spam", channel="other"))


def test_any_all_not(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge(
        {"any": [{"words": ["foo"]}, {"all": [{"words": ["bar"]}, {"not": {"channels": ["ok"]}}]}]}
    )
    assert j.fires("foo")
    assert j.fires(message("bar", channel="x"))
    assert not j.fires(message("bar", channel="ok"))
    assert not j.fires("baz")


def test_except(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["spam"]}, **{"except": {"roles": ["Partner"]}})
    assert j.fires("spam")
    assert not j.fires(message("spam", who=author(roles=("Partner",))))


def test_moderators_exempt_by_default(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["spam"]})
    assert not j.fires(message("spam", who=author(is_moderator=True)))
    assert not j.fires(message("spam", who=author(is_owner=True)))
    k = judge({"words": ["spam"]}, exempt_moderators=False)
    assert k.fires(message("spam", who=author(is_moderator=True)))


def test_shadow_rule_recorded_not_acted_on(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["acme"]}, mode="shadow", actions=["delete", "alert"])
    d = j.decide("I love acme")
    assert [m.mode for m in d.matches] == ["shadow"]
    assert d.actions.empty
    assert d.shadow_actions.alert and d.shadow_actions.delete


def test_disabled_rule_never_fires(judge) -> None:  # type: ignore[no-untyped-def]
    assert not judge({"words": ["spam"]}, enabled=False).fires("spam")


def test_any_gives_the_first_childs_match_whatever_the_number_of_children() -> None:
    """``any`` written out for two or three children answers as the loop over them does."""
    from itertools import product

    from bot.rules.conditions import _first_match
    from bot.rules.conditions.base import Match, Matcher, Subject

    assert Match("x") and Match("", None, "")  # truthy, even empty: ``or`` chains rely on it
    subject = object()
    calls: list[int] = []
    for n in range(1, 6):
        for outcomes in product([None, "a", "b"], repeat=n):
            calls.clear()

            def child(i: int, out: str | None) -> Matcher:
                def matcher(s: Subject) -> Match | None:
                    assert s is subject
                    calls.append(i)
                    return None if out is None else Match(out, None, str(i))

                return matcher

            got = _first_match([child(i, out) for i, out in enumerate(outcomes)])(subject)  # type: ignore[arg-type]
            first = next((i for i, out in enumerate(outcomes) if out is not None), None)
            if first is None:
                assert got is None
                assert calls == list(range(n))
            else:
                assert got == Match(outcomes[first], None, str(first))  # type: ignore[arg-type]
                assert calls == list(range(first + 1))
