"""Stream chat exports (Telegram Desktop, DiscordChatExporter JSON) as neutral messages.

Usage::

    stats = ReadStats()
    for item in iter_exports(["result.json", "general.json"], stats):
        if isinstance(item, ReadProblem):
            print(item)            # file, message index / byte offset, reason
        else:
            handle(item)           # bot.events.Message, in timestamp order across files
    print(stats.messages, stats.skipped)

The format is detected from the content (the first keys), never from the file name. Files are parsed
incrementally with ijson: one message object is in memory at a time (for a whole-account Telegram
export, chats are streamed one after another, never loaded whole). A message with unexpected field
types is reported and skipped; invalid or truncated JSON ends that file with a problem after every
message before the break has been yielded.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import IO, Any

import ijson

from bot.events import Message
from bot.replay.discord_export import DiscordConverter
from bot.replay.partition import Elsewhere, Part
from bot.replay.problems import BadMessage, ExportFormat, ReadProblem, ReadStats, SkipReason
from bot.replay.telegram_export import TelegramConverter

__all__ = [
    "ExportFormat",
    "ReadProblem",
    "ReadStats",
    "detect_format",
    "iter_export",
    "iter_exports",
]

_DISCORD_KEYS = frozenset({"guild", "channel", "dateRange", "exportedAt"})
_ACCOUNT_KEYS = frozenset({"chats", "left_chats", "personal_information"})
_TELEGRAM_CHAT_KEYS = frozenset({"name", "type", "id"})
_TELEGRAM_MESSAGE_KEYS = frozenset({"date_unixtime", "from_id", "text_entities", "date", "action"})
_DISCORD_MESSAGE_KEYS = frozenset({"timestamp", "author", "content", "timestampEdited"})
_HEADER_KEYS = _DISCORD_KEYS | _TELEGRAM_CHAT_KEYS
_CHAT_LISTS = ("chats.list.item", "left_chats.list.item")
_CHAT_TAG = "\x00chat"  # key injected into each message of a whole-account export: its chat's index


class NotAnExport(Exception):
    """The file is valid JSON but neither a Telegram Desktop nor a DiscordChatExporter export."""


def _peek(f: IO[bytes]) -> tuple[ExportFormat, dict[str, Any]]:
    """Read just enough of the file to know its format.

    Returns the format and the top-level header values met on the way (``guild``, ``channel``,
    ``name``, ``type``, ``id``); both exporters write them before ``messages``.
    """
    header: dict[str, Any] = {}
    seen: set[str] = set()
    builder: Any = None
    building = ""
    in_messages = False
    for prefix, event, value in ijson.parse(f, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == building and event in ("end_map", "end_array"):
                header[building] = builder.value
                builder = None
            continue
        if prefix == "":
            if event == "map_key":
                seen.add(value)
                if value in _ACCOUNT_KEYS:
                    return ExportFormat.TELEGRAM_ACCOUNT, header
            elif event != "start_map" and event != "end_map":
                raise NotAnExport(f"the top level is {_what(event)}, not an object")
            continue
        if in_messages:
            if prefix == "messages.item" and event == "map_key":
                if value in _TELEGRAM_MESSAGE_KEYS:
                    return ExportFormat.TELEGRAM, header
                if value in _DISCORD_MESSAGE_KEYS:
                    return ExportFormat.DISCORD, header
            elif prefix == "messages" and event == "end_array":
                in_messages = False  # no telling message: decide on the header keys
            continue
        if "." in prefix:
            continue  # inside some other top-level value
        if prefix == "messages":
            if event != "start_array":
                raise NotAnExport(f"'messages' is {_what(event)}, not a list")
            if seen & _DISCORD_KEYS:
                return ExportFormat.DISCORD, header
            in_messages = True
        elif prefix in _HEADER_KEYS:
            if event in ("start_map", "start_array"):
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                building = prefix
            else:
                header[prefix] = value
    if "messages" in seen:
        if seen & _DISCORD_KEYS:
            return ExportFormat.DISCORD, header
        if seen & _TELEGRAM_CHAT_KEYS:
            return ExportFormat.TELEGRAM, header
        raise NotAnExport("its messages look like neither format")
    raise NotAnExport(
        "no 'messages' list, 'chats' (Telegram Desktop) or 'guild' (DiscordChatExporter) key"
    )


def _what(event: str) -> str:
    kind = event.removeprefix("start_")
    kind = {"map": "object", "array": "list"}.get(kind, kind)
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def detect_format(path: str) -> ExportFormat:
    """The format of ``path`` from its content; raises ``NotAnExport`` or ``ijson.JSONError``."""
    with open(path, "rb") as f:
        return _peek(f)[0]


def _header_after_messages(path: str) -> dict[str, Any]:
    """Header values after ``messages`` (hand-made files): a full scan that skips the messages."""
    header: dict[str, Any] = {}
    with open(path, "rb") as f:
        builder: Any = None
        building = ""
        for prefix, event, value in ijson.parse(f, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == building and event in ("end_map", "end_array"):
                    header[building] = builder.value
                    builder = None
            elif prefix in _HEADER_KEYS:
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    building = prefix
                else:
                    header[prefix] = value
    return header


def _tell(f: IO[bytes]) -> int | None:
    try:
        return f.tell()
    except (OSError, ValueError):
        return None


def iter_export(
    path: str, stats: ReadStats | None = None, part: Part | None = None
) -> Iterator[Message | ReadProblem | Elsewhere]:
    """Stream one export as ``Message`` objects in file order, and ``ReadProblem`` for bad input.

    Service/system messages and bots' messages are not yielded; they are counted in ``stats``
    (``stats.service``, ``stats.bots``, ``stats.skipped``), as are yielded messages and problems.
    With ``part``, the messages of members of other parts are yielded as ``Elsewhere`` markers
    (counted as messages: the stream and ``stats`` are otherwise the same).
    """
    stats = stats if stats is not None else ReadStats()
    stats.files += 1
    try:
        with open(path, "rb") as f:
            try:
                fmt, header = _peek(f)
            except NotAnExport as e:
                stats.problems += 1
                yield ReadProblem(
                    path,
                    f"not a Telegram Desktop or DiscordChatExporter JSON export: {e}",
                    fatal=True,
                )
                return
            except ijson.JSONError as e:
                stats.problems += 1
                yield ReadProblem(path, f"not valid JSON: {_short(e)}", offset=_tell(f), fatal=True)
                return
    except OSError as e:
        stats.problems += 1
        yield ReadProblem(path, f"cannot read: {e.strerror or e}", fatal=True)
        return
    stats.formats[path] = fmt.value
    if fmt is ExportFormat.TELEGRAM_ACCOUNT:
        yield from _iter_account(path, stats, part)
        return
    if not (header.keys() & ({"guild", "channel"} if fmt is ExportFormat.DISCORD else {"id"})):
        header |= _safe_header_after(path)
    converter: TelegramConverter | DiscordConverter
    if fmt is ExportFormat.DISCORD:
        converter = DiscordConverter(path, part)
        converter.set_header(header.get("guild"), header.get("channel"))
    else:
        converter = TelegramConverter(path, part)
        converter.set_chat(header)
    with open(path, "rb") as f:
        yield from _convert_stream(
            path, f, ijson.items(f, "messages.item", use_float=True), converter, stats, None
        )


def _safe_header_after(path: str) -> dict[str, Any]:
    try:
        return _header_after_messages(path)
    except ijson.JSONError:
        return {}  # the main pass reports where the JSON breaks


def _convert_stream(
    path: str,
    f: IO[bytes],
    raws: Iterable[Any],
    converter: TelegramConverter | DiscordConverter,
    stats: ReadStats,
    chats: list[dict[str, Any]] | None,
) -> Iterator[Message | ReadProblem | Elsewhere]:
    """Convert raw message objects, turning malformed messages and JSON errors into problems."""
    index = 0
    chat_index = -1
    chat_name: str | None = None
    raw: Any = None
    convert = converter.convert
    try:
        for raw in raws:
            if chats is not None and isinstance(raw, dict):
                tag = raw.pop(_CHAT_TAG, chat_index)
                if tag != chat_index:
                    chat_index = tag
                    meta = chats[tag]
                    assert isinstance(converter, TelegramConverter)
                    converter.set_chat(meta)
                    chat_name = converter.chat_name or str(meta.get("id", tag))
                    index = 0
            index += 1
            if not index & 4095:
                stats.positions[path] = _tell(f) or 0
            try:
                result = convert(raw)
            except BadMessage as e:
                stats.problems += 1
                # No byte offset: the parser reads ahead, and the index pins the message exactly.
                yield ReadProblem(
                    path, str(e), index=index, message_id=_raw_id(raw), chat=chat_name
                )
                continue
            if isinstance(result, SkipReason):
                stats.count_skip(result)
                continue
            stats.messages += 1
            yield result
    except ijson.JSONError as e:
        stats.positions[path] = _tell(f) or 0
        stats.problems += 1
        truncated = "premature EOF" in str(e)
        what = "truncated JSON" if truncated else "invalid JSON"
        after = f" after message #{index}" if index else " before the first message"
        yield ReadProblem(
            path,
            f"{what}{after}; the rest of the file is skipped ({_short(e)})",
            index=index + 1,
            offset=_tell(f),
            chat=chat_name,
            fatal=True,
        )
    else:
        stats.positions[path] = _tell(f) or 0


def _iter_account(
    path: str, stats: ReadStats, part: Part | None
) -> Iterator[Message | ReadProblem | Elsewhere]:
    """A whole-account export: each chat of ``chats.list`` (and ``left_chats.list``) in turn."""
    chats: list[dict[str, Any]] = []  # metadata only (name, type, id), never messages
    converter = TelegramConverter(path, part)

    def tagged(events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        # Rewrites both chat lists to one prefix and tags each message with its chat's index, so the
        # C-level item builder does the heavy lifting and chats never need to be held whole.
        for prefix, event, value in events:
            if prefix.startswith("left_chats."):
                prefix = "chats." + prefix[11:]
            if prefix.startswith("chats.list.item"):
                rest = prefix[15:]
                if rest == ".messages.item" and event == "start_map":
                    yield prefix, event, value
                    yield prefix, "map_key", _CHAT_TAG
                    yield prefix + "." + _CHAT_TAG, "number", len(chats) - 1
                    continue
                if rest == "" and event == "start_map":
                    chats.append({})
                elif rest in (".name", ".type", ".id") and chats:
                    chats[-1][rest[1:]] = value
            yield prefix, event, value

    with open(path, "rb") as f:
        raws = ijson.items(tagged(ijson.parse(f, use_float=True)), "chats.list.item.messages.item")
        yield from _convert_stream(path, f, raws, converter, stats, chats)


def _raw_id(raw: object) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def _short(e: Exception) -> str:
    # yajl's messages are "what went wrong", an excerpt of the text, and a caret line.
    lines = [line.strip() for line in str(e).strip().splitlines()]
    if not lines:
        return type(e).__name__
    if len(lines) >= 3 and lines[1]:
        return f"{lines[0]} near {lines[1][:60]!r}"
    return lines[0]


def iter_exports(
    paths: Iterable[str], stats: ReadStats | None = None, part: Part | None = None
) -> Iterator[Message | ReadProblem | Elsewhere]:
    """Several exports as one stream, messages merged by timestamp (each file is in time order).

    Replay must see members' messages across channels in the order they were sent (``rate`` and
    ``duplicates`` count across channels), and DiscordChatExporter writes one file per channel.
    Only one message per file is held at a time. Problems are yielded as soon as they are met.
    With ``part`` (see ``iter_export``), ``Elsewhere`` markers take their messages' places in the
    merge, so the order of everything yielded is the same as without it.
    """
    stats = stats if stats is not None else ReadStats()
    sources = [iter_export(p, stats, part) for p in paths]
    if len(sources) == 1:
        yield from sources[0]
        return
    heap: list[tuple[Any, int, Message | Elsewhere]] = []
    problems: list[ReadProblem] = []

    def fill(i: int) -> None:
        for item in sources[i]:
            if not isinstance(item, ReadProblem):
                heapq.heappush(heap, (item.timestamp, i, item))
                return
            problems.append(item)

    for i in range(len(sources)):
        fill(i)
    yield from problems
    problems.clear()
    while heap:
        _, i, msg = heapq.heappop(heap)
        yield msg
        fill(i)
        if problems:
            yield from problems
            problems.clear()
