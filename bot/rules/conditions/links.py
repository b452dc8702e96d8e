"""`links`: the message has a link, or a link to (or not to) listed domains.

What it matches:
    A URL with a scheme (``https://…``, also defanged ``hxxps://evil[.]com``), a ``www.`` host, an
    IP address, or a bare domain with a real public suffix (``evil.com``, ``evil dot com``). E-mail
    addresses, numbers (``3.14``) and file names (``main.py``, ``notes.txt``) are not links.
    ``domains`` and ``except_domains`` cover subdomains: ``youtube.com`` covers ``m.youtube.com``,
    not ``evil-youtube.com`` nor ``youtube.com.evil``; ``youtube.com@evil.com`` is a link to
    ``evil.com``; a domain written with look-alike letters (Cyrillic ``о``) is never a listed one.

Parameters:
    ``true`` (any link), or a mapping: ``domains`` (a link to one of them, unless it is also under
    ``except_domains``) and/or ``except_domains`` (alone: any link to a domain not listed).

Example:
    match: {links: {except_domains: ["youtube.com", "wikipedia.org"]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Strict
from bot.rules.linkscan import DomainSet, canonical_host
from bot.rules.normalize import NormalizedText, TextView

_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_:")


def _domain(value: str) -> str:
    host = canonical_host(value)
    if not host or not set(host) <= _HOST_CHARS or ".." in host:
        raise ValueError(f'"{value}" is not a domain (write it like youtube.com)')
    return value


Domain = Annotated[str, AfterValidator(_domain)]


class LinksFilter(Strict):
    """``{domains: [...], except_domains: [...]}``."""

    domains: list[Domain] | None = Field(default=None, min_length=1)
    except_domains: list[Domain] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> LinksFilter:
        if self.domains is None and self.except_domains is None:
            raise ValueError("give domains, except_domains or both (or write links: true)")
        return self


# `true` or a mapping: a mapping is checked only as a mapping, so a mistake in it is reported once,
# in its own words, not also as "expected true". The tags take the form the loader leaves out of
# the key path it reports.
LinksParams = Annotated[
    Annotated[Literal[True], Tag("links[true]")] | Annotated[LinksFilter, Tag("links[mapping]")],
    Discriminator(
        lambda v: "links[mapping]" if isinstance(v, dict | LinksFilter) else "links[true]"
    ),
]


def link_span(nt: NormalizedText, view: TextView, start: int, end: int) -> tuple[int, int]:
    """A span of the links view as a span of the normalized text (through the original)."""
    to_view = view.to_original
    # Plain text without defanged links: both views are the lowercase text, mapped 1:1 by the
    # same range, so the span is itself (the general mapping costs more than the whole matcher).
    if type(to_view) is range and to_view == nt.words.to_original:
        if to_view == range(len(view.text) + 1) and 0 <= start <= end < len(to_view):
            return start, end
    return nt.normalized_span(*view.original_span(start, end))


def _domain_set(domains: list[str] | None) -> DomainSet | None:
    """The domains as a DomainSet, None when there are none (no test to make)."""
    found = DomainSet(domains or ())
    return found if found else None


def _compile(
    params: Literal[True] | LinksFilter, modifiers: Mapping[str, Any], cc: CompileContext
) -> Compiled:
    only = _domain_set(params.domains) if isinstance(params, LinksFilter) else None
    unless = _domain_set(params.except_domains) if isinstance(params, LinksFilter) else None

    def matcher(subject: Subject) -> Match | None:
        view, placed = subject.links()
        if view is None:
            return None
        for base, s in placed:
            link = s.link
            if only is not None and not only.covers(link.host):
                continue
            if unless is not None and unless.covers(link.host):
                continue
            span = link_span(subject.nt, view, base + link.start, base + link.end)
            return Match("links", span, link.url)
        return None

    return Compiled(matcher, needs=(("link_hint", 1),))


CONDITION = Condition(
    key="links",
    params=LinksParams,
    compile=_compile,
    summary="the message has a link (to those domains)",
)
