"""Commands defined once: typed parameters, who may use them, a handler; ``dispatch()`` runs one."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from bot.commands.activity import Activity
from bot.events import Author, Event, MessageRef, PlatformName
from bot.i18n import t
from bot.moderation.permissions import (
    Privilege,
    Refused,
    Subject,
    can_act,
    privilege_of,
)
from bot.platforms.base import Platform, PlatformError
from bot.rules.durations import DurationError, parse_duration
from bot.storage import Database, utcnow
from bot.storage import cases as case_store
from bot.storage import reports as report_store

if TYPE_CHECKING:
    from bot.moderation.executor import Executor
    from bot.moderation.pipeline import Pipeline
    from bot.rules import RuleSet

log = structlog.get_logger("bot.commands")


class Kind(StrEnum):
    """What a parameter holds; each binding maps a kind to its platform's option type."""

    MEMBER = "member"  # a member of the community (the target of a sanction)
    USER = "user"  # any user by id, present or not (unban)
    DURATION = "duration"  # 10m, 1h, 2d, 1w
    TEXT = "text"  # the rest of the line
    INT = "int"
    CASE_ID = "case_id"  # a case of this community
    REPORT_ID = "report_id"  # a report of this community


@dataclass(frozen=True, slots=True)
class Param:
    """One typed parameter. ``default`` is used when an optional one is left out."""

    name: str
    kind: Kind
    required: bool = False
    default: object = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def help_key(self) -> str:
        """i18n key of the parameter's description."""
        return f"param.{self.name}"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: text, shown only to the caller when ``ephemeral``, maybe a PNG."""

    text: str
    ephemeral: bool = False
    png: bytes | None = None
    filename: str = "stats.png"


class Handler(Protocol):
    """A command's body: the parsed request in, the answer out."""

    def __call__(self, req: Request) -> Awaitable[Reply]: ...


@dataclass(frozen=True, slots=True)
class Command:
    """A command, platform-neutral. ``sanction``: the first MEMBER parameter is a target that
    ``can_act`` must allow. ``slow``: bindings acknowledge first (Discord's 3-second limit).
    ``private``: its ephemeral answers hold what only the caller may read (moderators' notes, cases,
    explanations, a member's own history); a binding that cannot deliver them privately never
    shows them publicly (Telegram). ``direct``: also answered in a private chat with the bot
    (Telegram) or a DM with it (Discord), outside any community: the handler takes the community from the case, or covers
    every community of the platform (``Invocation.direct``)."""

    name: str
    privilege: Privilege
    params: tuple[Param, ...]
    handler: Handler
    sanction: bool = False
    slow: bool = False
    private: bool = False
    direct: bool = False

    @property
    def help_key(self) -> str:
        """i18n key of the command's description."""
        return f"help.{self.name}"

    @property
    def for_members(self) -> bool:
        """True when every member may use it."""
        return self.privilege is Privilege.MEMBER


@dataclass(frozen=True, slots=True)
class Invocation:
    """One use of a command, as a binding saw it; platform objects never get past the binding.

    ``text`` is the raw argument text (Telegram); ``options`` the typed options (Discord), where a
    MEMBER is already an ``Author``. ``reply_*`` describe the message the command replied to.
    ``direct``: sent in a private chat (Telegram) or DM (Discord) with the bot, in no community (``community_id`` is empty;
    only ``Command.direct`` commands get here); a CASE_ID is then any case of the platform.
    """

    command: str
    platform: PlatformName
    community_id: str
    channel_id: str
    invoker: Author
    text: str = ""
    thread_id: str | None = None  # Telegram forum topic of the command (``Channel.thread_id``)
    options: Mapping[str, object] | None = None
    message_id: str | None = None
    reply_to: MessageRef | None = None
    reply_author: Author | None = None
    reply_text: str | None = None
    reply_link: str | None = None
    community_name: str = ""
    direct: bool = False


MemberResolver = Callable[[str, str], Awaitable[Author | None]]
"""(community id, "@username" or numeric id) → the member, or None when unknown."""


@dataclass
class CommandContext:
    """What handlers work with: storage, the executor, the current rules, the platform."""

    pipeline: Pipeline
    platform: Platform
    resolve_member: MemberResolver | None = None
    bot_id: Callable[[], str | None] = lambda: None
    activity: Activity = field(default_factory=Activity)
    clock: Callable[[], datetime] = utcnow
    flush_every: float = 60.0
    _last_flush: float = field(default_factory=time.monotonic)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def db(self) -> Database:
        return self.pipeline.db

    @property
    def executor(self) -> Executor:
        return self.pipeline.executor

    @property
    def ruleset(self) -> RuleSet:
        return self.pipeline.ruleset

    @property
    def language(self) -> str:
        return str(self.ruleset.community.language)

    def privilege(self, author: Author) -> Privilege:
        """A member's privilege here: the adapter's flags, ``roles.moderators``, the bot itself."""
        bot = self.bot_id()
        if bot is not None and author.id == bot:
            return Privilege.BOT
        return privilege_of(author, self.ruleset.roles.moderators, bot_id=bot)

    async def observe(self, event: Event) -> None:
        """Note an event for purge and stats; flush the counters now and then, off the hot path."""
        self.activity.observe(event)
        if time.monotonic() - self._last_flush >= self.flush_every:
            self._last_flush = time.monotonic()
            task = asyncio.create_task(self.flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Write the activity counters (before stats are read, and at shutdown)."""
        try:
            await self.activity.flush(self.db, self.clock())
        except Exception:
            log.exception("activity_flush_failed")

    def observing(
        self, handler: Callable[[Event], Awaitable[object]]
    ) -> Callable[[Event], Awaitable[object]]:
        """``handler`` preceded by ``observe`` (what bindings install in front of the pipeline)."""

        async def handle(event: Event) -> object:
            await self.observe(event)
            return await handler(event)

        return handle


@dataclass(frozen=True, slots=True)
class Request:
    """A command that passed the privilege check, with its parsed arguments."""

    ctx: CommandContext
    inv: Invocation
    command: Command
    args: Mapping[str, Any]
    privilege: Privilege
    now: datetime

    @property
    def lang(self) -> str:
        return self.ctx.language

    def t(self, key: str, /, **params: object) -> str:
        """A message in the community's language."""
        return t(key, self.lang, **params)


class ArgumentError(Exception):
    """A bad argument, with the i18n key and parameters of the message that explains it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def mention(author: Author) -> str:
    """How a member is named in replies."""
    if author.username:
        return f"{author.name} (@{author.username})" if author.name else f"@{author.username}"
    return author.name or author.id


def usage_key(inv: Invocation, key: str) -> str:
    """The catalogue key of a usage hint about replying to a message: on Discord a command cannot
    reply to one, so there the hint (``key + "_discord"``) points to the message's Apps menu."""
    return key + "_discord" if inv.platform is PlatformName.DISCORD else key


# -- argument parsing ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\S+)")
_MEMBER_REF = re.compile(r"^(?:@\w{1,64}|-?\d{1,20}|<@!?\d{1,20}>)$")
_CASE_REF = re.compile(r"^#?(\d{1,12})$")


class _Tokens:
    """The raw argument text, consumed a word at a time; the rest stays verbatim for TEXT."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, n: int = 0) -> str | None:
        pos = self.pos
        found = None
        for _ in range(n + 1):
            m = _TOKEN.match(self.text, pos)
            if m is None:
                return None
            found, pos = m.group(1), m.end()
        return found

    def take(self) -> str | None:
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group(1)

    def rest(self) -> str:
        out = self.text[self.pos :].strip()
        self.pos = len(self.text)
        return out


def _member_id(token: str) -> str:
    """``<@123>`` / ``123`` / ``@name`` → what a resolver looks up."""
    if token.startswith("<@"):
        return token.strip("<@!>")
    return token


async def _parse(ctx: CommandContext, cmd: Command, inv: Invocation) -> dict[str, Any]:
    args: dict[str, Any] = {}
    tokens = _Tokens(inv.text)
    options = inv.options
    reply_used = False
    for param in cmd.params:
        if options is not None:
            raw: object = options.get(param.name)
            if raw is None and param.kind in (Kind.MEMBER, Kind.USER) and not reply_used:
                raw = inv.reply_author
                reply_used = raw is not None
            value = await _convert(ctx, inv, param, raw)
        else:
            value = await _take(ctx, inv, param, tokens, not reply_used)
            if param.kind in (Kind.MEMBER, Kind.USER) and value is inv.reply_author:
                reply_used = value is not None
        if value is None:
            if param.required:
                raise ArgumentError("cmd.missing", what=f"what.{param.name}")
            value = param.default
        args[param.name] = value
    return args


async def _take(
    ctx: CommandContext, inv: Invocation, param: Param, tokens: _Tokens, reply_free: bool
) -> Any:
    """One parameter from the raw text (Telegram): the reply first for targets, then words."""
    kind = param.kind
    if kind in (Kind.MEMBER, Kind.USER):
        if reply_free and inv.reply_author is not None:
            return inv.reply_author
        token = tokens.peek()
        if token is None or not _MEMBER_REF.match(token):
            if param.required and token is not None:
                raise ArgumentError("cmd.unknown_member", target=token)
            return None
        tokens.take()
        return await _convert(ctx, inv, param, token)
    if kind is Kind.TEXT:
        return tokens.rest() or None
    token = tokens.peek()
    if token is None:
        return None
    if kind is Kind.DURATION and not param.required and not token[0].isdigit():
        return None  # an optional duration left out: the word belongs to the reason
    tokens.take()
    if kind is Kind.DURATION:
        follower = tokens.peek()
        try:
            return parse_duration(token)
        except DurationError:
            # "10 seconds" reads as two words: show the moderator what they typed.
            shown = f"{token} {follower}" if token.isdigit() and follower else token
            raise ArgumentError("cmd.bad_duration", value=shown) from None
    return await _convert(ctx, inv, param, token)


async def _convert(ctx: CommandContext, inv: Invocation, param: Param, raw: object) -> Any:
    """A value for ``param`` from a word or an option; None when absent."""
    if raw is None or raw == "":
        return None
    kind = param.kind
    if kind in (Kind.MEMBER, Kind.USER):
        if isinstance(raw, Author):
            return raw
        token = str(raw).strip()
        ref = _member_id(token)
        found = None
        if _MEMBER_REF.match(token) and ctx.resolve_member is not None:
            found = await ctx.resolve_member(inv.community_id, ref)
        if found is None and kind is Kind.USER and ref.lstrip("-").isdigit():
            return Author(id=ref, name=ref)  # a banned user is no longer a member
        if found is None:
            raise ArgumentError("cmd.unknown_member", target=token)
        return found
    if kind is Kind.TEXT:
        return str(raw).strip() or None
    if kind is Kind.DURATION:
        if isinstance(raw, timedelta):
            return raw
        try:
            return parse_duration(str(raw).strip())
        except DurationError:
            raise ArgumentError("cmd.bad_duration", value=str(raw)) from None
    if kind is Kind.INT:
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ArgumentError("cmd.bad_number", value=str(raw)) from None
        low, high = param.minimum, param.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise ArgumentError("cmd.out_of_range", value=number, low=low, high=high)
        return number
    if kind is Kind.CASE_ID:
        m = _CASE_REF.match(str(raw).strip())
        if m is None:
            raise ArgumentError("cmd.bad_number", value=str(raw))
        case = await case_store.get_case(ctx.db, int(m.group(1)))
        if (
            case is None
            or case.platform != str(inv.platform)
            or (not inv.direct and case.community_id != inv.community_id)
        ):
            raise ArgumentError("cmd.unknown_case", case=m.group(1))
        return case
    if kind is Kind.REPORT_ID:
        m = _CASE_REF.match(str(raw).strip())
        if m is None:
            raise ArgumentError("cmd.bad_number", value=str(raw))
        # Only this community's: another group's report number reads as unknown, like a case's.
        report = await report_store.get_report_in(
            ctx.db, int(m.group(1)), str(inv.platform), inv.community_id
        )
        if report is None:
            raise ArgumentError("cmd.unknown_report", report=m.group(1))
        return report
    raise AssertionError(kind)


# -- dispatch ----------------------------------------------------------------------------------

_REFUSAL = {
    "self": "refuse.self",
    "target_is_moderator": "refuse.moderator",
    "target_is_owner": "refuse.owner",
    "target_is_bot": "refuse.bot",
}


async def dispatch(ctx: CommandContext, inv: Invocation) -> Reply:
    """Run one command: privilege checked here, once; arguments parsed with clear errors;
    for sanctions, ``can_act`` on the target. Refusals and errors are ephemeral."""
    from bot.commands import COMMANDS

    lang = ctx.language
    cmd = COMMANDS.get(inv.command)
    if cmd is None:
        return Reply(t("cmd.unknown_command", lang, command=inv.command), ephemeral=True)
    privilege = ctx.privilege(inv.invoker)
    base = {"command": cmd.name, "platform": str(inv.platform), "invoker": inv.invoker.id}
    if privilege < cmd.privilege:
        log.info("command_refused", reason="not_moderator", **base)
        return Reply(t("cmd.not_moderator", lang, command=cmd.name), ephemeral=True)
    try:
        args = await _parse(ctx, cmd, inv)
    except ArgumentError as exc:
        params = {k: (t(str(v), lang) if k == "what" else v) for k, v in exc.params.items()}
        log.info("command_bad_argument", error=exc.key, **base)
        return Reply(t(exc.key, lang, **params), ephemeral=True)
    if cmd.sanction:
        target = next(
            (args[p.name] for p in cmd.params if p.kind is Kind.MEMBER and args[p.name]), None
        )
        if target is not None:
            verdict = can_act(
                Subject(inv.invoker.id, privilege), Subject(target.id, ctx.privilege(target))
            )
            if isinstance(verdict, Refused):
                log.info("command_refused", reason=verdict.reason, target=target.id, **base)
                why = t(_REFUSAL.get(verdict.reason, "refuse.moderator"), lang)
                return Reply(
                    t("cmd.cannot_target", lang, target=mention(target), why=why), ephemeral=True
                )
    req = Request(ctx, inv, cmd, args, privilege, ctx.clock())
    try:
        reply = await cmd.handler(req)
    except ArgumentError as exc:
        return Reply(t(exc.key, lang, **exc.params), ephemeral=True)
    except PlatformError as exc:
        log.warning("command_platform_error", error=exc.message, kind=exc.kind.value, **base)
        return Reply(t("cmd.failed", lang, error=exc.message), ephemeral=True)
    except Exception:
        log.exception("command_failed", **base)
        return Reply(t("cmd.crashed", lang), ephemeral=True)
    log.info("command_done", **base)
    return reply
