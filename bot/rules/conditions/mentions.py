"""`mentions`: how many distinct members the message mentions.

What it matches:
    Messages that mention at least N distinct members. The platform's own mention list is used;
    for a text-only message (the console, ``modbot explain``, replay) mentions are read from the
    text: ``@name`` and Discord's ``<@id>``.

Parameters:
    ``{at_least: N}``.

Example:
    match: {mentions: {at_least: 5}}
"""

from __future__ import annotations

import re

from bot.rules.conditions.base import Subject
from bot.rules.conditions.counts import count_condition

_TEXT_MENTION = re.compile(r"<@!?(\d{1,25})>|(?<![\w@.])@([a-z0-9_][\w.]{0,31})", re.IGNORECASE)
_NOT_MEMBERS = {"everyone", "here", "all"}


def mentioned_ids(subject: Subject) -> set[str]:
    """Distinct members mentioned by the message."""
    if subject.message.mentions:
        return set(subject.message.mentions)
    text = subject.message.text
    if "@" not in text:
        return set()
    text = subject.nt.source  # up to normalize.MAX_CHARS characters, like every text view
    found: set[str] = set()
    for m in _TEXT_MENTION.finditer(text):
        if m.group(1):
            found.add(m.group(1))
        elif m.group(2).casefold() not in _NOT_MEMBERS:
            found.add("@" + m.group(2).casefold().rstrip("."))
    return found


CONDITION = count_condition(
    "mentions",
    lambda s: len(mentioned_ids(s)),
    "distinct members mentioned",
    "members mentioned",
    "mention_marks",  # a platform mention, or an @ in the text for each text mention
)
