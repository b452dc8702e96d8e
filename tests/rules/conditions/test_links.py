"""`links`: any link, or links to / not to listed domains, through defanged and obfuscated forms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import EvalContext
from bot.rules.conditions.base import Subject, _sentence_dot
from bot.rules.conditions.links import link_span
from bot.rules.linkscan import scan_placed
from bot.rules.loader import RulesError
from bot.rules.normalize import normalize
from tests.factories import message

ZW = "\u200b"

# (text, fires for `links: true`)
ANY_LINK: list[tuple[str, bool]] = [
    ("see https://evil.com/x", True),
    ("go to evil.com now", True),
    ("www.something", True),
    ("ping 192.168.1.1", True),
    ("t.me/name", True),
    ("discord.gg/abc", True),
    # defanged and obfuscated
    ("hxxps://evil[.]com", True),
    ("evil[.]com", True),
    ("evil(.)com", True),
    ("evil dot com", True),
    ("evil . com", True),
    ("evil。com", True),
    (f"ev{ZW}il.c{ZW}om", True),
    ("EVIL.COM", True),
    ("ｅｖｉｌ．ｃｏｍ", True),  # fullwidth: NFKC makes it evil.com
    ("youtube.com@evil.com", True),
    # innocent text
    ("mail me at john.doe@gmail.com", False),
    ("pi is 3.14 and the version is 1.2.3", False),
    ("end.of sentence", False),
    ("run main.py then open README.md and notes.txt", False),
    ("node.js is fine", False),
    ("the meeting is at 10:30", False),
    ("Xin chào các bạn. Hôm nay trời đẹp quá!", False),
    ("hello everyone", False),
    ("", False),
    # a spaced dot or a title-case suffix followed by more words reads as a sentence, not a link
    ("I did it . It was fun", False),
    ("the dot com bubble", False),
    ("Hi.How are you", False),
    ("ok . so what", False),
    ("visit evil dot com/x now", True),
    ("evil . com/free", True),
    ("it . it", True),
    ("go to Evil.Com", True),
    ("go to evil.com now", True),
    ("https://Hi.How/are", True),
    ("www.Hi.How are you", True),
]


@pytest.mark.parametrize(("text", "fires"), ANY_LINK)
def test_any_link(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"links": True}).fires(text) is fires


# (text, fires for `links: {except_domains: [youtube.com, wikipedia.org]}`)
EXCEPT: list[tuple[str, bool]] = [
    ("https://youtube.com/watch?v=1", False),
    ("https://m.youtube.com/watch?v=1", False),
    ("www.youtube.com", False),
    ("YOUTUBE.COM/x", False),
    ("vi.wikipedia.org/wiki/Sách", False),
    ("https://evil.com", True),
    ("evil-youtube.com", True),
    ("youtube.com.evil.net", True),
    ("yоutube.com", True),  # Cyrillic о: a look-alike is never the allowed domain
    ("youtube.com@evil.com", True),
    ("https://youtube.com@evil.com/watch", True),
    ("youtube.com and also evil.com", True),
    ("just text", False),
]


@pytest.mark.parametrize(("text", "fires"), EXCEPT)
def test_except_domains(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    rule = {"links": {"except_domains": ["youtube.com", "wikipedia.org"]}}
    assert judge(rule).fires(text) is fires


# (text, fires for `links: {domains: [bit.ly, discord.com], except_domains: [blog.discord.com]}`)
DOMAINS: list[tuple[str, bool]] = [
    ("bit.ly/abc", True),
    ("https://BIT.LY/abc", True),
    ("bit[.]ly/abc", True),
    ("bit dot ly/abc", True),
    ("https://discord.com/channels/1", True),
    ("https://blog.discord.com/post", False),
    ("evil.com", False),
    ("notbit.ly", False),
    ("bit.ly.evil.com", False),
    ("bіt.ly/abc", False),  # Cyrillic і
]


@pytest.mark.parametrize(("text", "fires"), DOMAINS)
def test_domains(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    rule = {"links": {"domains": ["bit.ly", "discord.com"], "except_domains": ["blog.discord.com"]}}
    assert judge(rule).fires(text) is fires


def test_match_names_the_link(judge) -> None:  # type: ignore[no-untyped-def]
    decision = judge({"links": {"except_domains": ["youtube.com"]}}).decide(
        "ok youtube.com but not hxxps://evil[.]com/x"
    )
    (match,) = decision.matches
    assert match.condition == "links"
    assert match.matched == "https://evil.com/x"
    assert match.span is not None


@pytest.mark.parametrize(
    "value",
    [
        False,
        {},
        {"domains": []},
        {"except_domains": []},
        {"domains": ["not a domain!"]},
        {"domains": "youtube.com"},
        {"allow": ["youtube.com"]},
    ],
)
def test_invalid_values_are_refused(judge, value: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesError) as info:
        judge({"links": value})
    assert "links" in str(info.value)


_SENTENCE_PIECES = [
    *"ab.:/ \n",
    " . ",
    " dot ",
    "Hi",
    "How",
    "it",
    "evil",
    "com",
    "Com",
    "www.",
    "https://",
    "/x",
    "bit.ly",
    "đ",
]


@given(st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=16).map("".join))
@settings(max_examples=600, deadline=None)
def test_links_test_sentence_dots_where_the_general_path_does(text: str) -> None:
    # The sentence-dot test is skipped when no link is a bare host; the general path tests every
    # link whenever a dot was spaced or the message has capitals.
    m = message(text)
    subject = Subject(m, EvalContext(now=m.timestamp), normalize(text))
    view, placed = subject.links()
    if view is None:
        assert placed == ()
        return
    nt = subject.nt
    everything, _ = scan_placed(view.text)
    tested = bool(nt.spaced_link_dots) or not nt.original.islower()
    expected = tuple(p for p in everything if not (tested and _sentence_dot(nt, view, *p)))
    assert placed == expected


@given(
    st.lists(
        st.sampled_from([*_SENTENCE_PIECES, "hxxp://", "[.]", "Ｅ", "😂", "\u200b"]), max_size=16
    ).map("".join),
    st.integers(0, 80),
    st.integers(0, 80),
)
@settings(max_examples=600, deadline=None)
def test_link_span_is_the_general_mapping(text: str, a: int, b: int) -> None:
    nt = normalize(text)
    view = nt.links
    start, end = sorted((min(a, len(view.text)), min(b, len(view.text))))
    general = nt.normalized_span(*view.original_span(start, end))
    assert link_span(nt, view, start, end) == general
