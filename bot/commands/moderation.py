"""Moderator sanctions: warn, mute, unmute, kick, ban, unban, purge; each one a case via the executor."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.reports import resolve_by_case
from bot.commands.spec import Command, Kind, Param, Reply, Request, mention
from bot.events import Author
from bot.i18n import human_duration
from bot.moderation.executor import Intent, Outcome
from bot.moderation.permissions import Privilege
from bot.moderation.purge import purge as purge_messages
from bot.platforms.base import LogEntry, PlatformError
from bot.rules.actions import ActionSet, Ban, Kick, Mute, Sanction, Warn
from bot.storage import cases as case_store

MEMBER = Param("member", Kind.MEMBER, required=True)
REASON = Param("reason", Kind.TEXT)
DEFAULT_MUTE = timedelta(hours=1)
MAX_PURGE = 100


def _intent(req: Request, target: Author, actions: ActionSet, delete_seconds: int = 0) -> Intent:
    inv = req.inv
    # A command given as a reply is about that message: it is kept with the case as evidence.
    about = (
        inv.reply_to if inv.reply_author is not None and inv.reply_author.id == target.id else None
    )
    return Intent(
        platform=inv.platform,
        community_id=inv.community_id,
        member=target,
        now=req.now,
        actions=actions,
        source="moderator",
        reason=req.args.get("reason") or "",
        channel_id=inv.channel_id,
        thread_id=inv.thread_id,
        message_id=about.message_id if about else None,
        message_text=inv.reply_text if about else None,
        link=inv.reply_link if about else None,
        moderator=inv.invoker,
        community_name=inv.community_name,
        delete_message_seconds=delete_seconds,
        escalate=False,
    )


def _result(req: Request, outcome: Outcome, target: Author, kind: str, **params: object) -> Reply:
    """The moderator's answer: done, or why the platform did not do it (the case stays)."""
    failed = [
        a
        for a in outcome.actions
        if a.kind in ("warn", "mute", "kick", "ban", "unmute", "unban")
        and a.status != case_store.DONE
    ]
    who = mention(target)
    if outcome.refused is not None or failed:
        error = outcome.refused.detail if outcome.refused else (failed[0].error or failed[0].status)
        action = req.t(f"act.{kind}")
        return Reply(
            req.t(
                "cmd.action_failed", action=action, member=who, case=outcome.case_id, error=error
            ),
            ephemeral=True,
        )
    return Reply(req.t(f"done.{kind}", member=who, case=outcome.case_id, **params))


async def _sanction(
    req: Request, sanction: Sanction, kind: str, strikes: int = 0, delete_seconds: int = 0
) -> Reply:
    target: Author = req.args["member"]
    actions = ActionSet(strikes=strikes, sanction=sanction)
    intent = _intent(req, target, actions, delete_seconds)
    outcome = await req.ctx.executor.execute(intent, req.ctx.pipeline.policy)
    if _carried_out(outcome, kind):
        about = req.inv.reply_to if intent.message_id else None
        message = (about.channel_id, about.message_id) if about else None
        await resolve_by_case(req, target, outcome.case_id, kind, message)
    duration = getattr(sanction, "duration", None)
    return _result(req, outcome, target, kind, duration=human_duration(duration, req.lang))


def _carried_out(outcome: Outcome, kind: str) -> bool:
    """The case's sanction was carried out, or waits to be (pending): not refused, not failed."""
    if outcome.refused is not None:
        return False
    done = (case_store.DONE, case_store.PENDING)
    return any(a.kind == kind and a.status in done for a in outcome.actions)


async def warn(req: Request) -> Reply:
    """A warning counts one strike, like a rule's ``warn`` with ``strike``."""
    return await _sanction(req, Warn(), "warn", strikes=1)


async def mute(req: Request) -> Reply:
    duration: timedelta = req.args["duration"] or DEFAULT_MUTE
    return await _sanction(req, Mute(duration), "mute")


async def kick(req: Request) -> Reply:
    return await _sanction(req, Kick(), "kick")


async def ban(req: Request) -> Reply:
    duration: timedelta | None = req.args["duration"]
    wipe: timedelta | None = req.args["delete_messages"]
    return await _sanction(
        req,
        Ban(duration),
        "ban",
        delete_seconds=int(wipe.total_seconds()) if wipe else 0,
    )


async def _lift(req: Request, kind: str, param: str) -> Reply:
    target: Author = req.args[param]
    inv = req.inv
    outcome = await req.ctx.executor.lift(
        inv.platform,
        inv.community_id,
        target,
        kind,
        inv.invoker,
        req.args.get("reason") or "",
        req.now,
        req.ctx.pipeline.policy,
    )
    return _result(req, outcome, target, kind)


async def unmute(req: Request) -> Reply:
    return await _lift(req, "unmute", "member")


async def unban(req: Request) -> Reply:
    return await _lift(req, "unban", "user")


async def purge(req: Request) -> Reply:
    """Delete the last ``count`` messages the bot saw in this channel (of ``member`` if given)."""
    inv, ctx = req.inv, req.ctx
    count: int = req.args["count"]
    member: Author | None = req.args["member"]
    seen = ctx.activity.recent(
        str(inv.platform), inv.community_id, inv.channel_id, member.id if member else None
    )
    chosen = [s for s in seen if s.message_id != inv.message_id][:count]
    if not chosen:
        return Reply(req.t("cmd.purge_nothing"), ephemeral=True)
    reason = req.t("cmd.purge_reason", moderator=mention(inv.invoker))
    result = await purge_messages(
        ctx.executor,
        inv.platform,
        inv.community_id,
        inv.channel_id,
        [(s.author, s.message_id) for s in chosen],
        inv.invoker,
        reason,
        req.now,
    )
    ctx.activity.forget(
        str(inv.platform), inv.community_id, inv.channel_id, {s.message_id for s in chosen}
    )
    try:
        await ctx.platform.post_log(
            inv.community_id,
            LogEntry(
                title=req.t("act.purge"),
                body=req.t("cmd.purged", count=result.deleted),
                case_id=result.case_ids[0] if len(result.case_ids) == 1 else None,
                member_id=member.id if member else "",
                member_name=member.name if member else "",
                fields=((req.t("field.moderator"), mention(inv.invoker)),),
            ),
        )
    except PlatformError:
        pass  # the cases are recorded; a missing log channel right must not hide the result
    cases = ", ".join(f"#{c}" for c in result.case_ids)
    return Reply(req.t("cmd.purged", count=result.deleted) + f" ({cases})", ephemeral=True)


M = Privilege.MODERATOR
COMMANDS = (
    Command("warn", M, (MEMBER, REASON), warn, sanction=True),
    Command(
        "mute",
        M,
        (MEMBER, Param("duration", Kind.DURATION, default=DEFAULT_MUTE), REASON),
        mute,
        sanction=True,
    ),
    Command("unmute", M, (MEMBER, REASON), unmute),
    Command("kick", M, (MEMBER, REASON), kick, sanction=True),
    Command(
        "ban",
        M,
        (
            MEMBER,
            Param("duration", Kind.DURATION),
            REASON,
            Param("delete_messages", Kind.DURATION),
        ),
        ban,
        sanction=True,
    ),
    Command("unban", M, (Param("user", Kind.USER, required=True), REASON), unban),
    Command(
        "purge",
        M,
        (
            Param("count", Kind.INT, required=True, minimum=1, maximum=MAX_PURGE),
            Param("member", Kind.MEMBER),
        ),
        purge,
        slow=True,
    ),
)
