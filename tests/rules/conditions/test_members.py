from datetime import timedelta

from bot.events import PlatformName
from tests.factories import T0, author, message


def test_toxicity_uses_given_scores(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"toxicity": {"at_least": 0.8}})
    assert j.engine.needs_scores
    assert j.fires("anything", scores={"toxicity": 0.95})
    assert not j.fires("anything", scores={"toxicity": 0.5})
    assert not j.fires("anything")  # no scores: never holds


def test_toxicity_labels(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"toxicity": {"at_least": 0.8, "labels": ["insult", "threat"]}})
    assert j.fires("x", scores={"toxicity": 0.1, "threat": 0.9})
    assert not j.fires("x", scores={"toxicity": 0.99, "insult": 0.2})


def test_account_and_member_age(judge) -> None:  # type: ignore[no-untyped-def]
    young = author(created_at=T0 - timedelta(hours=2), joined_at=T0 - timedelta(minutes=1))
    old = author(created_at=T0 - timedelta(days=400), joined_at=T0 - timedelta(days=30))
    unknown = author()
    acc = judge({"account_age": {"under": "1d"}})
    mem = judge({"member_age": {"under": "10m"}})
    assert acc.fires(message("hi", who=young))
    assert not acc.fires(message("hi", who=old))
    assert not acc.fires(message("hi", who=unknown))
    assert mem.fires(message("hi", who=young))
    assert not mem.fires(message("hi", who=old))


def test_roles_channels_platform(judge) -> None:  # type: ignore[no-untyped-def]
    partner = author(roles=("Partner",))
    assert judge({"roles": ["partner"]}).fires(message("x", who=partner))
    assert judge({"roles": ["role-Partner"]}).fires(message("x", who=partner))
    assert not judge({"roles": ["Partner"]}).fires(message("x"))
    assert judge({"channels": ["#promo"]}).fires(message("x", channel="promo"))
    assert judge({"channels": ["id-promo"]}).fires(message("x", channel="promo"))
    assert not judge({"channels": ["promo"]}).fires(message("x", channel="general"))
    assert judge({"platform": "telegram"}).fires(message("x", platform=PlatformName.TELEGRAM))
    assert not judge({"platform": "telegram"}).fires(message("x"))
