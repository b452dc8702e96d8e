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
