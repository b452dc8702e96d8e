"""`invites`: Discord and Telegram invites, plain and defanged; other links are not invites."""

from __future__ import annotations

import pytest

from bot.rules.loader import RulesError

ZW = "\u200b"

INVITES: list[tuple[str, bool]] = [
    ("join discord.gg/abc123", True),
    ("https://discord.com/invite/xyz", True),
    ("discordapp.com/invite/xyz", True),
    ("dsc.gg/myserver", True),
    ("https://t.me/joinchat/AAAAAEx", True),
    ("t.me/+AbCdEf123", True),
    ("telegram.me/+AbCdEf123", True),
    ("telegram.dog/joinchat/x1", True),
    ("tg://join?invite=AbC", True),
    # defanged and obfuscated
    ("discord . gg/abc", True),
    ("discord。gg/abc", True),
    ("discord[.]gg/abc", True),
    ("discord dot gg/abc", True),
    ("hxxps://discord[.]gg/abc", True),
    (f"disc{ZW}ord.gg/abc", True),
    ("DISCORD.GG/ABC", True),
    ("ｄｉｓｃｏｒｄ．ｇｇ/abc", True),
    # not invites
    ("t.me/name", False),
    ("https://t.me/durov/42", False),
    ("t.me/+84123456789", False),
    ("https://discord.com/channels/1/2", False),
    ("discord.gg", False),
    ("notdiscord.gg/abc", False),
    ("discord.gg.evil.com/abc", False),
    ("dіscord.gg/abc", False),  # Cyrillic і: a look-alike domain is not Discord's
    ("we talk on discord and telegram", False),
    ("mail me at invite@discord.com", False),
]


@pytest.mark.parametrize(("text", "fires"), INVITES)
def test_invites(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"invites": True}).fires(text) is fires


def test_match_names_the_invite(judge) -> None:  # type: ignore[no-untyped-def]
    (match,) = judge({"invites": True}).decide("vào đây nè discord . gg/abc").matches
    assert match.condition == "invites"
    assert match.matched == "discord.gg/abc"
    assert match.span is not None


@pytest.mark.parametrize("value", [False, {}, "yes"])
def test_invalid_values_are_refused(judge, value: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesError):
        judge({"invites": value})
