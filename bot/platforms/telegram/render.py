"""Log entries and replies as Telegram HTML (every value escaped)."""

from __future__ import annotations

from html import escape

from bot.platforms.base import LogEntry

# Telegram's limit is 4096 characters after entity parsing; raw text is cut before escaping so
# that a cut never lands inside a tag or an entity.
MAX_TEXT = 4000
_BODY = 2000
_EXCERPT = 600
_SHORT = 200
# The deep link of an appeal hint opens the private chat with ``/start appeal-<case>``; /start then
# says how to appeal that case there (Telegram allows ``A-Z a-z 0-9 _ -`` in a start payload).
APPEAL_PAYLOAD = "appeal-"


def start_link(username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: opens the private chat with the bot's Start button."""
    return f"https://t.me/{username}?start={payload}"


def log_html(entry: LogEntry) -> str:
    """A log-channel post: bold title, body, member, rules, excerpt, case number, link."""
    title = escape(_cut(entry.title, _SHORT))
    lines = [f"👁 <b>{title}</b> (shadow)" if entry.shadow else f"<b>{title}</b>"]
    if entry.body:
        lines.append(escape(_cut(entry.body, _BODY)))
    if entry.member_id or entry.member_name:
        who = escape(_cut(entry.member_name or entry.member_id, _SHORT))
        if entry.member_id.isdigit():
            who = f'<a href="tg://user?id={entry.member_id}">{who}</a>'
        lines.append(f"Member: {who} (<code>{escape(_cut(entry.member_id, _SHORT))}</code>)")
    if entry.rule_ids:
        rules = ", ".join(f"<code>{escape(r)}</code>" for r in entry.rule_ids[:10])
        lines.append(f"Rules: {rules}")
    for name, value in entry.fields[:10]:
        lines.append(f"{escape(_cut(name, _SHORT))}: {escape(_cut(value, _SHORT))}")
    if entry.excerpt:
        lines.append(f"<blockquote>{escape(_cut(entry.excerpt, _EXCERPT))}</blockquote>")
    if entry.case_id is not None:
        lines.append(f"Case #{entry.case_id}")
    if entry.link and len(entry.link) < _SHORT:
        lines.append(f'<a href="{escape(entry.link, quote=True)}">message</a>')
    return "\n".join(lines)


def text_html(text: str) -> str:
    """A plain reply (already rendered by i18n) as safe HTML."""
    return escape(_cut(text, MAX_TEXT // 2))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
