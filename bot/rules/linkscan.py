"""Finds links and invite links in text, and tells whether a host is under a list of domains."""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_CANDIDATES",
    "DomainSet",
    "Invite",
    "Link",
    "Placed",
    "Scanned",
    "canonical_host",
    "find_invites",
    "find_links",
    "host_in",
    "invite_of",
    "iter_links",
    "scan",
    "scan_placed",
]


@dataclass(frozen=True, slots=True)
class Link:
    """A link in text: ``text[start:end] == url``; ``host`` in canonical form (canonical_host)."""

    start: int
    end: int
    url: str
    host: str


@dataclass(frozen=True, slots=True)
class Invite:
    """An invite link: ``platform`` is ``discord`` or ``telegram``; ``code`` as in the text."""

    start: int
    end: int
    platform: str
    code: str


@dataclass(frozen=True, slots=True)
class _Scanned:
    """A link with what invite detection needs: its scheme ("" if none), what follows its host,
    and the invite it is (platform, code), if any."""

    link: Link
    scheme: str
    path: str
    invite: tuple[str, str] | None


# A message on Telegram (4,096 characters) or Discord (4,000) cannot hold this many link-like
# tokens and a link after them (each token takes at least 4 characters with its separator), so the
# cap hides no link in a real message; it only bounds the work spent on a pathological one.
MAX_CANDIDATES = 1024

# Longest host name DNS allows; longer runs of letters and dots are not hosts, whatever their end.
_MAX_HOST = 253

# The ideographic full stop and its half/full-width forms act as dots in hosts (browsers map them).
_DOT_CHARS = ".\u3002\uff0e\uff61"
_DOTS = "\\." + _DOT_CHARS[1:]
_TO_DOT = str.maketrans({c: "." for c in _DOT_CHARS[1:]})

# Schemes browsers accept with fewer than two slashes (``http:evil.com``, ``https:/evil.com``);
# ``hxxp`` is the defanged spelling, accepted here too so plain text works without normalization.
_SPECIAL = "h[tx]{2}ps?|ftps?|wss?"

# One pass over the text finds three kinds of candidates. Every alternative starts with a
# lookbehind that only lets it begin at the start of a run, and every run is possessive, so each
# character is consumed by at most one attempt: the scan is linear whatever the input. The
# leading lookahead rejects, in one test, the positions where no alternative can start.
_CANDIDATE = re.compile(
    r"(?=[\w\[])"
    rf"(?:(?<![\w+.-])(?P<scheme>{_SPECIAL}|[a-z][a-z0-9+-]{{1,15}}+(?=://)):[/\\]{{0,3}}+"
    r"(?P<rest>[^\s<>\"]*+)"
    r"|(?<![\w\]])(?P<v6>\[[0-9a-f:.]{2,45}+\])"
    rf"|(?<![\w{_DOTS}-])(?P<host>[\w-]++[{_DOTS}][\w{_DOTS}-]*+))",
    re.IGNORECASE,
)
# What may follow a scheme-less host: a port, then a path, query or fragment.
_TAIL = re.compile(r"(?::\d{1,5}+(?![\w:]))?(?:[/\\?#][^\s<>\"]*+)?")
_LOCAL_PART_CHAR = re.compile(r"[\w.+-]")
_DEFANGED_HTTP = re.compile(r"h[tx]{2}ps?")
_PATH_START = re.compile(r"[/\\?#]")
_PORT = re.compile(r"^:\d*")
_HOST_CHARS = re.compile(rf"[\w{_DOTS}-]*")

# Trailing punctuation is the sentence's, not the URL's ("see evil.com/x." or "(evil.com/x)").
_TRAILING = ".,;:!?'\"*_~)]}>\u3002"
_CLOSERS = {")": "(", "]": "[", "}": "{"}

# Extensions that are also top-level domains but, written bare (no scheme, no www, no path), are
# far more often file names: "main.py", "README.md", "install.sh", "backup.zip". With a scheme, a
# www host or a path ("setup.zip/download") they are links again.
FILE_LIKE_SUFFIXES = frozenset({"zip", "mov", "py", "md", "sh", "rs", "pl", "java"})

_DISCORD_SHORT = frozenset({"discord.gg", "dsc.gg"})
_DISCORD_FULL = frozenset(
    {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
)
_TELEGRAM = frozenset({"t.me", "telegram.me", "telegram.dog"})
_DISCORD_SHORT_PATH = re.compile(r"/(?:invite/)?([\w-]+)", re.IGNORECASE)
_DISCORD_FULL_PATH = re.compile(r"/invite/([\w-]+)", re.IGNORECASE)
_TELEGRAM_PATH = re.compile(r"/(?:joinchat/|\+|%2b)([\w-]+)", re.IGNORECASE)
_TG_JOIN = re.compile(r"[?&]invite=([\w-]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _extractor() -> Any:
    # Imported lazily: building the suffix table costs tens of milliseconds, paid on first use.
    import tldextract

    # No URLs and no cache directory: the snapshot bundled with the package, never the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=65536)
def _suffix(host: str) -> tuple[str, bool]:
    """The host's ICANN public suffix ("" if none) and whether a registrable label precedes it."""
    parts = _extractor()(host, include_psl_private_domains=False)
    return parts.suffix, bool(parts.domain)


def _label_ascii(label: str) -> str:
    if label.isascii():
        return label
    # Raw punycode, label by label: it never fails (IDNA 2003/2008 reject many labels), and a
    # look-alike letter gives a different ASCII name, so it can never equal an allowed domain.
    return "xn--" + label.encode("punycode").decode("ascii")


@functools.lru_cache(maxsize=65536)
def canonical_host(name: str) -> str:
    """A host or domain as compared: NFKC, case-folded, ASCII (punycode), no trailing dot.

    Accepts what an owner may write for a domain too: ``https://YouTube.com/``, ``*.youtube.com``,
    ``.youtube.com``, ``youtube.com:443``. IP addresses come back in their standard form.
    """
    host = unicodedata.normalize("NFKC", name.strip()).casefold().translate(_TO_DOT)
    if "://" in host:
        host = host.split("://", 1)[1]
    host = _PATH_START.split(host, maxsplit=1)[0]
    host = host.rpartition("@")[2]
    if host.startswith("["):
        host = host[1:].partition("]")[0]
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            return host
    host = host.partition(":")[0].removeprefix("*.").strip(".")
    return ".".join(_label_ascii(label) for label in host.split("."))


def _is_ipv4(labels: list[str]) -> bool:
    return len(labels) == 4 and all(
        len(x) <= 3 and int(x) <= 255 and (x == "0" or not x.startswith("0")) for x in labels
    )


def _trim(text: str, start: int, end: int, floor: int) -> int:
    """End of a URL without the sentence punctuation after it; never before ``floor``."""
    core = text[floor:end].rstrip(_TRAILING)
    kept = floor + len(core)
    if kept == end:
        return end
    # Give back closing brackets the URL itself opened (Wikipedia's "Foo_(bar)"), in order, while
    # they balance; the walk is bounded by the number of openers, so it stays linear.
    url = text[start:kept]
    opened = {c: url.count(o) - url.count(c) for c, o in _CLOSERS.items()}
    while kept < end and opened.get(text[kept], 0) > 0:
        opened[text[kept]] -= 1
        kept += 1
    return kept


def _scheme_link(text: str, m: re.Match[str]) -> _Scanned | None:
    scheme = m.group("scheme").lower()
    if _DEFANGED_HTTP.fullmatch(scheme):
        scheme = "http" + scheme[4:]
    start, rest_start = m.start(), m.start("rest")
    end = _trim(text, start, m.end(), rest_start)
    rest = text[rest_start:end]
    cut = _PATH_START.search(rest)
    authority, path = (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, "")
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host = hostport[1:].partition("]")[0]
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            return None
    else:
        # A host ends at its port or at the first character no host has (raw "evil[.]com").
        bare = _HOST_CHARS.match(hostport)
        host = bare.group().strip(_DOT_CHARS) if bare else ""
        if not host:
            return None
        host = canonical_host(host)
    return _scanned(Link(start, end, text[start:end], host), scheme, path.replace("\\", "/"))


# What a scheme-less host candidate is: not a link, a link only when a path or port follows
# (a file-like name such as "setup.zip/dl"), or a link.
_NOT_LINK, _LINK_WITH_TAIL, _LINK = 0, 1, 2


def _bare_kind(host: str) -> int:
    """Whether a scheme-less host is a link: an IPv4 address, a www host or a real public suffix."""
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        return _LINK if _is_ipv4(labels) else _NOT_LINK
    if labels[0] == "www":
        return _LINK if all(labels) else _NOT_LINK
    if labels[-1].isdigit():
        return _NOT_LINK
    suffix, registrable = _suffix(host)
    if not suffix or not registrable:
        return _NOT_LINK
    return _LINK_WITH_TAIL if suffix in FILE_LIKE_SUFFIXES else _LINK


@functools.lru_cache(maxsize=65536)
def _bare(candidate: str) -> tuple[int, str, int]:
    """For a host candidate as the regex found it: its host's length in the text, host, kind."""
    raw = candidate.translate(_TO_DOT)
    double = raw.find("..")
    if double >= 0:
        raw = raw[:double]  # "evil.com...and": the host ends where a label would be empty
    raw = raw.rstrip(".-")
    if "." not in raw or len(raw) > _MAX_HOST:
        return 0, "", _NOT_LINK
    host = canonical_host(raw)
    return len(raw), host, _bare_kind(host)


def _scan_counted(text: str, budget: int) -> Iterator[_Scanned | None]:
    """The links of ``text``; a None after each candidate examined (to count them)."""
    skip_until = 0
    # A link-worthy domain right before "@" ("youtube.com@evil.com"): its start and end.
    userinfo = (-1, -1)
    for count, m in enumerate(_CANDIDATE.finditer(text)):
        if count >= budget:
            return
        yield None
        start = m.start()
        if start < skip_until:
            continue
        kind = m.lastgroup
        if kind == "rest":
            found = _scheme_link(text, m)
            if found is not None:
                skip_until = found.link.end
                yield found
            continue
        if kind == "v6":
            try:
                host = ipaddress.IPv6Address(m.group("v6")[1:-1]).compressed
            except ValueError:
                continue
            end, bare = m.end(), _LINK
        else:
            length, host, bare = _bare(m.group("host"))
            if bare == _NOT_LINK:
                continue
            end = start + length
            if text[end : end + 1] == "@" and text[end + 1 : end + 2].isalnum():
                # Userinfo or an e-mail's local part, never a link itself: the host after "@" is.
                if bare == _LINK:
                    userinfo = (start, end)
                continue
        tail = _TAIL.match(text, end)
        tail_end = tail.end() if tail else end
        link_start = start
        if start > 0 and text[start - 1] == "@":
            if userinfo[1] == start - 1:
                # "youtube.com@evil.com": the part before "@" is userinfo; the host is evil.com.
                link_start = userinfo[0]
            elif start > 1 and _LOCAL_PART_CHAR.match(text, start - 2) and tail_end == end:
                continue  # an e-mail address: a local part before "@", no port or path after
        if bare == _LINK_WITH_TAIL and tail_end == end:
            continue
        link_end = _trim(text, link_start, tail_end, end)
        path = text[end:link_end]
        if path.startswith(":"):
            path = _PORT.sub("", path, count=1)
        skip_until = link_end
        yield _scanned(
            Link(link_start, link_end, text[link_start:link_end], host), "", path.replace("\\", "/")
        )


# A link never spans whitespace, and every candidate's context (the character before it, what
# follows it) stops at whitespace too: the text is scanned one whitespace-separated chunk at a
# time, only the chunks that can hold a candidate (a dot, a colon or a bracket), and each chunk's
# result is cached - chat repeats its links. Candidates are counted across chunks for the cap.
_CHUNK = re.compile(rf"(?<!\S)[^\s:\[{_DOTS}]*+[:\[{_DOTS}]\S*+")
# A chunk's links (positions in the chunk), the candidates examined, whether one is a bare host.
_ChunkScan = tuple[tuple[_Scanned, ...], int, bool]
_CHUNKS: dict[str, _ChunkScan] = {}

# A link found in a text: the start of its chunk in the text, and the link (positions in the chunk).
Placed = tuple[int, _Scanned]


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """What ``_CHUNK.finditer(text)`` finds, as (start, chunk), found with substring searches.

    ``_CHUNK`` takes a regex step at every character; substring searches run at memchr speed.
    Chat has dots and colons, rarely a bracket or a full-width dot: text with one of those is left
    to ``_CHUNK``. A chunk is then the run between two spaces around a dot or a colon; a run that
    holds other whitespace too (a newline, a tab: whitespace is non-printable, the ASCII space
    aside) is split by ``_CHUNK`` itself.
    """
    if "[" in text or (
        not text.isascii() and ("\u3002" in text or "\uff0e" in text or "\uff61" in text)
    ):
        for m in _CHUNK.finditer(text):
            yield m.start(), m.group()
        return
    find = text.find
    dot = find(".")
    colon = find(":")
    while dot >= 0 or colon >= 0:
        first = dot if colon < 0 or 0 <= dot < colon else colon
        start = text.rfind(" ", 0, first) + 1
        end = find(" ", first)
        if end < 0:
            end = len(text)
        run = text[start:end]
        if run.isprintable():
            yield start, run
        else:
            for m in _CHUNK.finditer(text, start, end):
                yield m.start(), m.group()
        # The next dot and colon after this chunk (-1 once there is none left).
        if 0 <= dot < end:
            dot = find(".", end)
        if 0 <= colon < end:
            colon = find(":", end)


def _scan_chunk(chunk: str, budget: int) -> _ChunkScan:
    found: list[_Scanned] = []
    used = 0
    for item in _scan_counted(chunk, budget):
        if item is None:
            used += 1
        else:
            found.append(item)
    bare = any(not s.scheme and not s.path and not s.link.host.startswith("www.") for s in found)
    return tuple(found), used, bare


def _shifted(s: _Scanned, base: int) -> _Scanned:
    link = s.link
    return _Scanned(
        Link(link.start + base, link.end + base, link.url, link.host), s.scheme, s.path, s.invite
    )


@functools.lru_cache(maxsize=256)
def scan_placed(text: str) -> tuple[tuple[Placed, ...], bool]:
    """Every link of ``text``, placed (see Placed), and whether one is a bare host (no scheme, no
    path, no ``www.``): what the links and invites conditions read.

    Cached by text: a spam wave repeats one text. Links stay relative to their chunk (cached
    objects, shared across messages); the chunk's start places them in the text.
    """
    out: list[Placed] = []
    bare = False
    budget = MAX_CANDIDATES
    for start, chunk in _chunks(text):
        result = _CHUNKS.get(chunk)
        if result is None:
            result = _scan_chunk(chunk, MAX_CANDIDATES)
            if len(chunk) <= 512:
                if len(_CHUNKS) >= 50_000:
                    _CHUNKS.clear()
                _CHUNKS[chunk] = result
        found, used, chunk_bare = result
        if used > budget:
            found, used, chunk_bare = _scan_chunk(chunk, budget)
        for s in found:
            out.append((start, s))
        if chunk_bare:
            bare = True
        budget -= used
        if budget <= 0:
            break
    return tuple(out), bare


Scanned = _Scanned


def scan(text: str) -> tuple[_Scanned, ...]:
    """Every link of ``text`` with its scheme and path, positions in ``text``."""
    return tuple(_shifted(s, base) if base else s for base, s in scan_placed(text)[0])


def invite_of(scanned: _Scanned) -> Invite | None:
    """The invite a scanned link is, if any (see find_invites)."""
    if scanned.invite is None:
        return None
    link = scanned.link
    return Invite(link.start, link.end, *scanned.invite)


def iter_links(text: str) -> Iterator[Link]:
    """The links in ``text``, in order (see find_links)."""
    return (s.link for s in scan(text))


def find_links(text: str) -> list[Link]:
    """Every link in ``text``, in order.

    A link is a URL with a scheme (``https://…``, ``hxxp://…``, ``tg://…``), a ``www.`` host, an
    IPv4 address or a bracketed IPv6 address, or a bare domain whose suffix is a real ICANN public
    suffix (tldextract's bundled list, offline) with a label before it. Not links: e-mail addresses,
    numbers (``3.14``, ``1.2.3``), ``end.of sentence`` (``of`` is no suffix), and a bare file name
    whose extension is a suffix too (see FILE_LIKE_SUFFIXES) unless a path follows it.
    ``youtube.com@evil.com`` is a link to ``evil.com``. At most MAX_CANDIDATES link-like tokens are
    examined.
    """
    return list(iter_links(text))


def _scanned(link: Link, scheme: str, path: str) -> _Scanned:
    """A found link with its invite worked out once (the chunk cache then keeps it)."""
    return _Scanned(link, scheme, path, _invite(scheme, link.host, path))


def _invite(scheme: str, host: str, path: str) -> tuple[str, str] | None:
    """The invite (platform, code) a link with this scheme, host and path is, if any."""
    host = host.removeprefix("www.")
    code: str | None = None
    platform = "discord"
    if scheme == "tg":
        platform = "telegram"
        if host == "join":
            m = _TG_JOIN.search(path)
            code = m.group(1) if m else None
    elif host in _DISCORD_SHORT:
        m = _DISCORD_SHORT_PATH.match(path)
        code = m.group(1) if m else None
    elif host in _DISCORD_FULL:
        m = _DISCORD_FULL_PATH.match(path)
        code = m.group(1) if m else None
    elif host in _TELEGRAM:
        platform = "telegram"
        m = _TELEGRAM_PATH.match(path)
        # "t.me/+84123456789" is a phone number (a chat with that person), not an invite.
        if m and not (m.group(0)[1] in "+%" and m.group(1).isdigit()):
            code = m.group(1)
    if not code:
        return None
    return platform, code


def find_invites(text: str) -> list[Invite]:
    """Every Discord or Telegram group/channel invite link in ``text``, in order.

    Discord: ``discord.gg/CODE``, ``dsc.gg/CODE``, ``discord.com/invite/CODE``,
    ``discordapp.com/invite/CODE``. Telegram: ``t.me/joinchat/CODE``, ``t.me/+CODE`` (not a phone
    number), the same on ``telegram.me`` and ``telegram.dog``, and ``tg://join?invite=CODE``.
    A plain ``t.me/name`` is a link, not an invite.
    """
    out: list[Invite] = []
    for s in scan(text):
        invite = invite_of(s)
        if invite is not None:
            out.append(invite)
    return out


# Hosts a DomainSet remembers its answer for (any host a message links to; bounded).
_MAX_KNOWN = 4096


class DomainSet:
    """Domains, each covering itself and its subdomains (``youtube.com``: ``m.youtube.com``)."""

    __slots__ = ("_domains", "_known")

    def __init__(self, domains: Iterable[str]) -> None:
        # An owner who lists "www.youtube.com" means the site, not only its www host.
        self._domains = frozenset(canonical_host(d).removeprefix("www.") for d in domains)
        self._known: dict[str, bool] = {}

    def covers(self, host: str) -> bool:
        """``host in self``, remembered: chat links to the same few hosts again and again."""
        known = self._known.get(host)
        if known is None:
            known = host in self
            if len(self._known) >= _MAX_KNOWN:
                self._known.clear()
            self._known[host] = known
        return known

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        host = canonical_host(host)
        if host in self._domains:
            return True
        if ":" in host or (host.replace(".", "").isdigit()):
            return False  # an IP address is covered only by itself
        # Walk up label by label: "a.b.youtube.com" → "b.youtube.com" → "youtube.com" → "com".
        dot = host.find(".")
        while dot >= 0:
            host = host[dot + 1 :]
            if host in self._domains:
                return True
            dot = host.find(".")
        return False

    def __bool__(self) -> bool:
        return bool(self._domains)

    def __repr__(self) -> str:
        return f"DomainSet({sorted(self._domains)!r})"


def host_in(host: str, domains: Iterable[str] | DomainSet) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one (not ``evil-youtube.com``).

    Both sides are compared in canonical form, so a look-alike letter (Cyrillic ``о``) never equals
    its Latin twin. Pass a DomainSet built once when checking many hosts.
    """
    return host in (domains if isinstance(domains, DomainSet) else DomainSet(domains))
