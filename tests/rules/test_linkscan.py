"""The link scanner on plain strings: links, hosts, invites, domain coverage, and speed."""

from __future__ import annotations

import re
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import linkscan
from bot.rules.linkscan import (
    MAX_CANDIDATES,
    DomainSet,
    Invite,
    canonical_host,
    find_invites,
    find_links,
    host_in,
    invite_of,
    scan,
    scan_placed,
)

# (text, [(url, host), ...]): every link in the text, in order.
LINKS: list[tuple[str, list[tuple[str, str]]]] = [
    # with a scheme
    ("see https://evil.com/x.", [("https://evil.com/x", "evil.com")]),
    ("http://localhost:8000/admin", [("http://localhost:8000/admin", "localhost")]),
    ("hxxps://evil.com/login", [("hxxps://evil.com/login", "evil.com")]),
    ("HTTPS://EVIL.COM/Path", [("HTTPS://EVIL.COM/Path", "evil.com")]),
    ("http:evil.com", [("http:evil.com", "evil.com")]),
    ("https:\\\\evil.com\\x", [("https:\\\\evil.com\\x", "evil.com")]),
    ("steam://run/730", [("steam://run/730", "run")]),
    ("tg://resolve?domain=news", [("tg://resolve?domain=news", "resolve")]),
    (
        "(https://en.wikipedia.org/wiki/Foo_(bar))",
        [
            ("https://en.wikipedia.org/wiki/Foo_(bar)", "en.wikipedia.org"),
        ],
    ),
    (
        "<https://a.com/x>, https://b.org!",
        [("https://a.com/x", "a.com"), ("https://b.org", "b.org")],
    ),
    # userinfo tricks count as the real host
    ("https://youtube.com@evil.com/watch", [("https://youtube.com@evil.com/watch", "evil.com")]),
    ("youtube.com@evil.com", [("youtube.com@evil.com", "evil.com")]),
    ("https://user:pw@evil.com:8443/", [("https://user:pw@evil.com:8443/", "evil.com")]),
    ("user:pw@evil.com/x", [("evil.com/x", "evil.com")]),
    # www hosts and bare domains with a real public suffix
    ("go to www.something", [("www.something", "www.something")]),
    ("go to evil.com now", [("evil.com", "evil.com")]),
    ("EVIL.COM", [("EVIL.COM", "evil.com")]),
    ("shop at abc.com.vn today", [("abc.com.vn", "abc.com.vn")]),
    ("a.co.uk and bit.ly/x", [("a.co.uk", "a.co.uk"), ("bit.ly/x", "bit.ly")]),
    ("evil.com:8080/x", [("evil.com:8080/x", "evil.com")]),
    ("evil.com: great site", [("evil.com", "evil.com")]),
    ("evil.com...and more", [("evil.com", "evil.com")]),
    ("**evil.com/x**", [("evil.com/x", "evil.com")]),
    ("x.com,y.com", [("x.com", "x.com"), ("y.com", "y.com")]),
    ("@evil.com", [("evil.com", "evil.com")]),
    ("//evil.com/x", [("evil.com/x", "evil.com")]),
    ("discord。gg/abc", [("discord。gg/abc", "discord.gg")]),
    ("t.me/name", [("t.me/name", "t.me")]),
    # IP addresses
    ("192.168.1.1", [("192.168.1.1", "192.168.1.1")]),
    ("http://10.0.0.1:80/x", [("http://10.0.0.1:80/x", "10.0.0.1")]),
    ("see [2001:db8::1]", [("[2001:db8::1]", "2001:db8::1")]),
    ("http://[::1]:8080/x", [("http://[::1]:8080/x", "::1")]),
    # internationalized and look-alike hosts: ASCII (punycode) form, never folded to Latin
    ("ví-dụ.vn", [("ví-dụ.vn", canonical_host("ví-dụ.vn"))]),
    ("yоutube.com", [("yоutube.com", "xn--yutube-wqf.com")]),
    # a file-like suffix is a link with a path
    ("setup.zip/download", [("setup.zip/download", "setup.zip")]),
    # not links
    ("mail me at john.doe@gmail.com", []),
    ("john+tag@gmail.com", []),
    ("pi is 3.14, version 1.2.3, date 05.01.2024", []),
    ("1.2.3.400", []),
    ("end.of sentence", []),
    ("hello...world", []),
    ("e.g. this, i.e. that, a.m. and p.m.", []),
    ("main.py README.md install.sh backup.zip video.mov lib.rs", []),
    ("file.txt node.js app.exe photo.jpeg", []),
    ("co.uk", []),
    ("time 10:30", []),
    ("note:/usr/bin", []),
    ("http:// and ftp: nothing", []),
    ("foo@bar", []),
    ("evil[.]com", []),  # defanged forms are undone by normalization, not by the scanner
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), LINKS)
def test_find_links(text: str, expected: list[tuple[str, str]]) -> None:
    links = find_links(text)
    assert [(link.url, link.host) for link in links] == expected
    for link in links:
        assert text[link.start : link.end] == link.url


# (text, [(platform, code), ...])
INVITES: list[tuple[str, list[tuple[str, str]]]] = [
    ("join discord.gg/abc123", [("discord", "abc123")]),
    ("https://discord.gg/invite/abc", [("discord", "abc")]),
    ("www.discord.gg/abc", [("discord", "abc")]),
    ("dsc.gg/myserver", [("discord", "myserver")]),
    ("https://discord.com/invite/xyz", [("discord", "xyz")]),
    ("discordapp.com/invite/q-1", [("discord", "q-1")]),
    ("DISCORD.GG/AbC", [("discord", "AbC")]),
    ("discord。gg/abc", [("discord", "abc")]),
    ("hxxps://discord.gg/abc", [("discord", "abc")]),
    ("https://t.me/joinchat/AAAAAE", [("telegram", "AAAAAE")]),
    ("t.me/+AbCdEf123", [("telegram", "AbCdEf123")]),
    ("t.me/%2BAbCdEf", [("telegram", "AbCdEf")]),
    ("telegram.me/joinchat/x1", [("telegram", "x1")]),
    ("telegram.dog/+Zz9", [("telegram", "Zz9")]),
    ("tg://join?invite=ABC", [("telegram", "ABC")]),
    ("two: discord.gg/a t.me/+b2", [("discord", "a"), ("telegram", "b2")]),
    # not invites
    ("t.me/name", []),
    ("https://t.me/durov/123", []),
    ("t.me/+84123456789", []),
    ("discord.gg/", []),
    ("discord.gg", []),
    ("https://discord.com/channels/1/2", []),
    ("discord.com/invite/", []),
    ("tg://resolve?domain=x", []),
    ("discord.gg.evil.com/abc", []),
    ("notdiscord.gg/abc", []),
    ("a discord gg server", []),
]


@pytest.mark.parametrize(("text", "expected"), INVITES)
def test_find_invites(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(i.platform, i.code) for i in find_invites(text)] == expected


@pytest.mark.parametrize(
    ("host", "domains", "covered"),
    [
        ("youtube.com", ["youtube.com"], True),
        ("m.youtube.com", ["youtube.com"], True),
        ("a.b.youtube.com", ["YouTube.com"], True),
        ("youtube.com", ["https://www.youtube.com/"], True),  # the site, not only its www host
        ("m.youtube.com", ["*.youtube.com"], True),
        ("evil-youtube.com", ["youtube.com"], False),
        ("youtube.com.evil", ["youtube.com"], False),
        ("youtube.co", ["youtube.com"], False),
        ("xn--yutube-wqf.com", ["youtube.com"], False),  # Cyrillic о
        ("yоutube.com", ["youtube.com"], False),
        ("yоutube.com", ["yоutube.com"], True),  # listed as written: compared in one form
        ("ví-dụ.vn", [canonical_host("ví-dụ.vn")], True),
        ("10.0.0.1", ["0.0.1"], False),  # an IP address is covered only by itself
        ("10.0.0.1", ["10.0.0.1"], True),
        ("anything.com", [], False),
    ],
)
def test_host_in(host: str, domains: list[str], covered: bool) -> None:
    assert host_in(host, domains) is covered
    assert (host in DomainSet(domains)) is covered


def test_canonical_host() -> None:
    assert canonical_host("  HTTPS://User@YouTube.COM:443/watch?v=1 ") == "youtube.com"
    assert canonical_host(".youtube.com.") == "youtube.com"
    assert (
        canonical_host("ｙｏｕｔｕｂｅ．ｃｏｍ") == "youtube.com"
    )  # fullwidth is NFKC-equal, as in browsers
    assert canonical_host("[2001:DB8:0::1]") == "2001:db8::1"


def test_found_links_cover_hosts_of_allowed_domains() -> None:
    allowed = DomainSet(["youtube.com"])
    hosts = [
        link.host for link in find_links("https://m.youtube.com/x yоutube.com youtube.com@evil.com")
    ]
    assert [h in allowed for h in hosts] == [True, False, False]


def test_candidates_beyond_the_cap_are_not_examined() -> None:
    # The cap is above what any platform's message can hold: 4 characters a token at least.
    assert MAX_CANDIDATES * 4 >= 4096
    assert find_links("a.b " * MAX_CANDIDATES + "evil.com") == []
    assert len(find_links("a.b " * (MAX_CANDIDATES - 1) + "evil.com")) == 1


N = 100_000
PATHOLOGICAL = {
    "letters": "a" * N,
    "dots": "." * N,
    "label-dot": "a." * (N // 2),
    "colons": ":" * N,
    "brackets": ("[::" * N)[:N],
    "links": ("a.com " * N)[:N],
    "distinct-links": " ".join(f"h{i}.com" for i in range(N // 6))[:N],
    "schemes": ("https://a " * N)[:N],
    "scheme-run": ("http://" * N)[:N],
    "closers": "http://x.com/" + ")" * N,
    "emails": ("x.co@" * N)[:N],
    "long-scheme-like": ("ab12345678901234567:" * N)[:N],
    "ideographic": "\u3002a" * (N // 2),
    "invites": ("t.me/+1 " * N)[:N],
    "vietnamese": ("Xin chào các bạn. Hôm nay trời đẹp quá! " * N)[:N],
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_text_scans_fast(name: str) -> None:
    text = PATHOLOGICAL[name] + " "  # a fresh string: the scan cache does not help
    find_links("warm.up")
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        find_links(text)
        find_invites(text)
        best = min(best, time.perf_counter() - start)
        text += " "
    # A guard against blow-ups (a quadratic scan takes seconds here), not a timing target: ~25 ms
    # at rest, and this machine is shared. bench/engine.py measures the pathological cases.
    assert best < 0.5, f"{name}: {best * 1000:.1f} ms"


# The cheap test on plain text that skips the links view must never hide a link.
_PIECES = [*"ab.:/[](){}-_ @xtpsđờ", " dot ", "DOT", "hxxp", "com", "gg", "Ab"]
_PLAIN = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@given(_PLAIN)
@settings(max_examples=400, deadline=None)
def test_plain_text_link_hint_never_hides_a_link(text: str) -> None:
    from bot.rules.linkscan import scan
    from bot.rules.normalize import normalize

    nt = normalize(text)
    if not nt.may_have_link:
        assert scan(nt.links.text) == ()


# The fast paths of the scan (chunks found by substring searches, links placed by their chunk's
# start, each link's invite and bare-host flag worked out with its chunk, DomainSet answers
# remembered) against the general path, on texts made of what links are made of.
_LINKY_PIECES = [
    *"ab1ê.:/[]@-+?#()",
    *"\u3002\uff0e\uff61",  # dots as hosts have them
    *" \n\t\xa0\u3000\u2028\x85\x1c",  # whitespace: the ASCII space, others in and out of ASCII
    "\ue000",  # neither printable nor whitespace
    "com",
    "http://",
    "hxxps:/",
    "www.",
    "t.me/+",
    "discord.gg/",
    "tg://join?invite=",
    "Evil.Com",
    "dot",
]
_LINKY = st.lists(st.sampled_from(_LINKY_PIECES), max_size=24).map("".join)


def _reference_scan(text: str) -> tuple[linkscan.Scanned, ...]:
    """The scan's general path: chunks found by the chunk regex, each scanned anew and shifted."""
    out: list[linkscan.Scanned] = []
    budget = MAX_CANDIDATES
    for m in linkscan._CHUNK.finditer(text):
        found, used, _ = linkscan._scan_chunk(m.group(), budget)
        out.extend(linkscan._shifted(s, m.start()) for s in found)
        budget -= used
        if budget <= 0:
            break
    return tuple(out)


def _is_bare(s: linkscan.Scanned) -> bool:
    return not s.scheme and not s.path and not s.link.host.startswith("www.")


@given(_LINKY)
@settings(max_examples=1500, deadline=None)
def test_chunks_are_what_the_chunk_regex_finds(text: str) -> None:
    expected = [(m.start(), m.group()) for m in linkscan._CHUNK.finditer(text)]
    assert list(linkscan._chunks(text)) == expected


@given(_LINKY)
@settings(max_examples=1500, deadline=None)
def test_scan_agrees_with_the_general_path(text: str) -> None:
    expected = _reference_scan(text)
    assert scan(text) == expected
    placed, bare = scan_placed(text)
    assert tuple(linkscan._shifted(s, base) for base, s in placed) == expected
    assert bare == any(_is_bare(s) for s in expected)
    for s in expected:
        general = linkscan._invite(s.scheme, s.link.host, s.path)
        assert invite_of(s) == (
            None if general is None else Invite(s.link.start, s.link.end, *general)
        )


def test_scan_agrees_with_the_general_path_on_examples() -> None:
    for text, _ in LINKS + INVITES:
        for variant in (text, f"x {text} y", f"a\n{text}\tb", f"[{text}]", f"a。b {text}"):
            assert scan(variant) == _reference_scan(variant), variant


def test_only_the_ascii_space_is_both_whitespace_and_printable() -> None:
    # The chunk search relies on it: a run between two spaces that is printable holds no other
    # whitespace (what the chunk regex's \s matches).
    space = re.compile(r"\s")
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if c != " " and (c.isspace() or space.match(c)):
            assert not c.isprintable(), hex(cp)


_HOSTS = st.lists(
    st.sampled_from(["youtube", "com", "m", "evil", "xn--e1a", "1", "255", "::1", "-", "ê", ""]),
    min_size=1,
    max_size=5,
).map(".".join)


@given(st.lists(_HOSTS, max_size=40))
@settings(max_examples=300, deadline=None)
def test_domain_set_covers_is_contains(hosts: list[str]) -> None:
    domains = DomainSet(["youtube.com", "m.evil.com", "1.1.1.1"])
    for host in hosts + hosts:
        assert domains.covers(host) == (host in domains)


def test_domain_set_forgets_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkscan, "_MAX_KNOWN", 4)
    domains = DomainSet(["youtube.com"])
    hosts = [f"h{i}.youtube.com" for i in range(10)] + [f"h{i}.com" for i in range(10)]
    for host in hosts:
        assert domains.covers(host) == host.endswith("youtube.com")
    assert len(domains._known) <= 4


@given(_LINKY)
@settings(max_examples=1500, deadline=None)
def test_spaced_hint_substring_tests_agree_with_the_regex(text: str) -> None:
    from bot.rules.normalize import _SPACED_HINT, _has_spaced_hint

    for variant in (text, text.replace("dot", " dot"), text.replace(".", " . ")):
        assert _has_spaced_hint(variant) == (_SPACED_HINT.search(variant) is not None)


# Not plain text: NFKC makes dots and colons out of other characters (full-width forms, "…",
# "⒈", "﹕"); the hint reads the regex view.
_UNPLAIN_PIECES = [
    *_PIECES,
    "😂",
    "．",
    "：",
    "｡",
    "。",
    "ｄｏｔ",
    "Ｅｖｉｌ",
    "…",
    "⒈",
    "﹕",
    "\u200b",
    "é",
]


@given(st.lists(st.sampled_from(_UNPLAIN_PIECES), max_size=12).map("".join))
@settings(max_examples=600, deadline=None)
def test_link_hint_never_hides_a_link(text: str) -> None:
    from bot.rules.normalize import has_link_marks, normalize

    nt = normalize(text)
    if not nt.may_have_link or not has_link_marks(nt.regex_text):
        assert scan(nt.links.text) == ()
        assert find_links(nt.links.text) == []


_HINT_PIECES = [
    *_PIECES,
    *"xyz1290ệị-_",
    "10:30",
    ":)",
    " :",
    "...",
    " . ",
    ". ",
    "\t",
    "\x1c",
    "\n",
    "+:",
    "é",
    "e.g.",
    "a.m.",
    "đ.ị.t",
    "www",
    "255",
    "io",
    "vn",
    "xn--p1ai",
    "/x",
]


@given(st.lists(st.sampled_from(_HINT_PIECES), max_size=14).map("".join))
@settings(max_examples=3000, deadline=None)
def test_plain_link_hint_hides_no_link_and_is_never_looser_than_the_regex(text: str) -> None:
    from bot.rules.normalize import _LINK_HINT, _plain_link_hint, normalize

    nt = normalize(text)
    if not nt.plain:
        return
    lower = text.lower()
    if _plain_link_hint(lower):
        assert _LINK_HINT.Match(lower) is not None
    else:
        assert scan(nt.links.text) == ()


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("see e.g. this", False),
        ("at 10 a.m. ok", False),
        ("đ.ị.t", False),
        ("the u.s. team", False),
        ("www.a", True),
        ("1.2.3.4", True),
        ("evil.com", True),
        ("a.io", True),
        ("v1.2", True),
        ("a.b.com", True),
        ("end. next", False),
    ],
)
def test_plain_link_hint_examples(text: str, hint: bool) -> None:
    from bot.rules.normalize import _plain_link_hint

    assert _plain_link_hint(text) is hint


def test_every_public_suffix_ends_in_two_characters_at_least() -> None:
    # The plain-text link hint relies on it: one character after a host's last dot is no
    # top-level domain (an IPv4 number or a www host aside).
    from bot.rules.linkscan import _extractor

    for suffix in _extractor().tlds:
        top = suffix.rsplit(".", 1)[-1]
        if top.startswith("xn--"):
            top = top.encode("ascii").decode("idna")
        assert len(top) >= 2, suffix
