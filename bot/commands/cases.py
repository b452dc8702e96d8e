"""Moderators' view of the record: case, cases, pardon, note, why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.commands.reports import report_lines
from bot.commands.spec import Command, Kind, Param, Reply, Request, mention, usage_key
from bot.events import Author, Channel, Message
from bot.moderation.executor import Pardon
from bot.moderation.permissions import Privilege
from bot.platforms.base import LogEntry, PlatformError
from bot.rules import EvalContext
from bot.rules.explain import decision_text
from bot.storage import appeals as appeal_store
from bot.storage import cases as case_store
from bot.storage import members as member_store

CASE = Param("case", Kind.CASE_ID, required=True)
LIST_LIMIT = 10


def _when(req: Request, case: case_store.CaseRecord) -> str:
    return case.created_at.strftime("%Y-%m-%d %H:%M UTC")


def case_line(req: Request, case: case_store.CaseRecord) -> str:
    """One case on one line: id, date, what, why, state."""
    what = case.sanction or ("delete" if any(a.kind == "delete" for a in case.actions) else "-")
    if case.source == "moderator":
        if not case.sanction and case.actions:
            what = case.actions[0].kind
        by = req.t("case.by_moderator", moderator=case.moderator_name or case.moderator_id or "?")
    else:
        by = ", ".join(case.rule_ids) or "-"
    line = f"#{case.id} {_when(req, case)} · {what} · {by}"
    if case.reason:
        line += f" · {case.reason}"
    if case.strikes:
        line += " · " + req.t("case.strikes", count=case.strikes)
    if case.pardoned_at is not None:
        line += " · " + req.t("case.pardoned_mark")
    if case.shadow:
        line += " · shadow"
    return line


async def show_case(req: Request) -> Reply:
    case: case_store.CaseRecord = req.args["case"]
    lines = [
        req.t("case.header", case=case.id, member=case.member_name or case.user_id),
        case_line(req, case),
    ]
    if case.message_text:
        lines.append(req.t("case.message", text=case.message_text[:300]))
    elif case.text_erased_at is not None:
        lines.append(req.t("case.text_erased"))
    if case.link:
        lines.append(case.link)
    if case.expires_at is not None:
        lines.append(req.t("case.until", when=case.expires_at.strftime("%Y-%m-%d %H:%M UTC")))
    if case.actions:
        acts = ", ".join(f"{a.kind}: {a.status}" for a in case.actions)
        lines.append(req.t("case.actions", actions=acts))
    for appeal in await appeal_store.appeals_of(req.ctx.db, case.id):
        state = appeal.outcome or req.t("case.appeal_open")
        lines.append(req.t("case.appeal", text=appeal.text, state=state))
    if case.pardoned_at is not None:
        lines.append(req.t("case.pardoned_by", moderator=case.pardoned_by or "?"))
    return Reply("\n".join(lines), ephemeral=True)


async def list_cases(req: Request) -> Reply:
    member: Author = req.args["member"]
    inv = req.inv
    record = await member_store.find_member(
        req.ctx.db, str(inv.platform), inv.community_id, member.id
    )
    if record is None:
        return Reply(
            req.t("cases.header", member=mention(member), strikes=0) + "\n" + req.t("cmd.no_cases"),
            ephemeral=True,
        )
    strikes = await case_store.active_strikes(req.ctx.db, record.id, req.now)
    cases = await case_store.list_cases(req.ctx.db, member_pk=record.id, limit=LIST_LIMIT)
    lines = [req.t("cases.header", member=mention(member), strikes=strikes)]
    lines += [case_line(req, c) for c in cases] or [req.t("cmd.no_cases")]
    notes = await member_store.list_notes(req.ctx.db, record.id, limit=5)
    for note in notes:
        lines.append(req.t("cases.note", author=note.author_name, text=note.text))
    lines += await report_lines(req, record.id)
    return Reply("\n".join(lines), ephemeral=True)


def pardon_lines(req: Request, case: case_store.CaseRecord, done: Pardon) -> list[str]:
    """What happened to the case's own mute or ban (nothing for other cases)."""
    kind = done.sanction
    if kind is None:
        return []
    if done.kept_case_id is not None:
        return [req.t(f"cmd.pardon_kept_{kind}", kept=done.kept_case_id)]
    if done.action is None:
        return [req.t(f"cmd.pardon_ended_{kind}")]
    if done.lifted:
        return [req.t(f"cmd.pardon_lifted_{kind}", lift=done.lift_case_id)]
    error = done.refused.detail if done.refused else (done.action.error or done.action.status)
    member = case.member_name or case.user_id
    action = req.t(f"act.un{kind}")
    return [
        req.t(
            "cmd.pardon_lift_failed",
            action=action,
            member=member,
            lift=done.lift_case_id,
            error=error,
        )
    ]


async def pardon(req: Request) -> Reply:
    """Pardon a case: its strikes stop counting, its own mute or ban still in force is lifted
    (the executor decides which is this case's), its open appeals are resolved, the member told."""
    case: case_store.CaseRecord = req.args["case"]
    inv, ctx = req.inv, req.ctx
    reason = req.args.get("reason")
    if case.user_id == inv.invoker.id and not inv.invoker.is_owner:
        # Clearing one's own strikes is another moderator's call (or the owner's).
        return Reply(req.t("cmd.pardon_own_case", case=case.id), ephemeral=True)
    done = await ctx.executor.pardon(case.id, inv.invoker, req.now, reason, ctx.pipeline.policy)
    if not done.pardoned:
        return Reply(req.t("cmd.already_pardoned", case=case.id), ephemeral=True)
    async with ctx.db.transaction() as tx:
        appeals = await appeal_store.resolve(tx, case.id, inv.invoker.id, "pardoned", req.now)
    member = case.member_name or case.user_id
    lift = pardon_lines(req, case, done)
    text = "\n".join(
        [
            req.t("cmd.pardoned", case=case.id),
            *lift,
            req.t("cmd.pardon_told", member=member, case=case.id),
        ]
    )
    try:
        await ctx.platform.post_log(
            inv.community_id,
            LogEntry(
                title=req.t("act.pardon"),
                body="\n".join([req.t("cmd.pardoned", case=case.id), *lift]),
                case_id=case.id,
                member_id=case.user_id,
                member_name=case.member_name,
                fields=((req.t("field.moderator"), mention(inv.invoker)),)
                + (((req.t("field.appeals"), str(appeals)),) if appeals else ()),
            ),
        )
    except PlatformError:
        pass  # the pardon is recorded; the log channel is a courtesy
    # Public, so that the member reads it where the case happened.
    return Reply(text)


async def note(req: Request) -> Reply:
    member: Author = req.args["member"]
    inv = req.inv
    async with req.ctx.db.transaction() as tx:
        cpk = await member_store.ensure_community(
            tx, str(inv.platform), inv.community_id, inv.community_name, req.now
        )
        mpk = await member_store.ensure_member(
            tx, cpk, member.id, member.name, req.now, username=member.username
        )
        await member_store.add_note(
            tx, mpk, inv.invoker.id, inv.invoker.name, req.args["text"], req.now
        )
    return Reply(req.t("cmd.noted", member=mention(member)), ephemeral=True)


async def explain_text(req: Request, text: str, author: Author) -> str:
    """The current rules' explanation of ``text``, as ``modbot explain`` prints it."""
    pipeline = req.ctx.pipeline
    engine = pipeline.engine
    inv = req.inv
    message = Message(
        platform=inv.platform,
        community_id=inv.community_id,
        channel=Channel(inv.channel_id, thread_id=inv.thread_id),
        message_id=inv.reply_to.message_id if inv.reply_to else "0",
        # Judged as an ordinary member's message, like ``modbot explain``: the question is what
        # the rules say about the text, not whether its author is exempt.
        author=replace(author, is_moderator=False, is_owner=False, is_bot=False, roles=()),
        text=text,
        timestamp=req.now,
    )
    scores: Mapping[str, float] | None = None
    if engine.needs_scores and pipeline.scorer is not None and text.strip():
        try:
            scores = await pipeline.scorer(text)
        except Exception:
            scores = None
    decision = engine.decide(message, EvalContext(now=req.now, scores=scores))
    return decision_text(decision)


async def why(req: Request) -> Reply:
    """Why a case was opened, or how the rules see a replied-to message."""
    case: case_store.CaseRecord | None = req.args["case"]
    inv = req.inv
    if case is not None:
        lines = [
            req.t("case.header", case=case.id, member=case.member_name or case.user_id),
            case_line(req, case),
        ]
        if case.source == "moderator":
            lines.append(
                req.t(
                    "why.moderator_case",
                    moderator=case.moderator_name or "?",
                    reason=case.reason or "-",
                )
            )
        if case.message_text:
            lines.append(
                await explain_text(req, case.message_text, Author(case.user_id, case.member_name))
            )
        elif case.evidence:
            for m in case.evidence:
                lines.append(
                    f"rule {m.get('rule')}: {m.get('condition')} matched {m.get('matched')!r}"
                )
        return Reply("\n".join(lines), ephemeral=True)
    if inv.reply_text is not None and inv.reply_author is not None:
        return Reply(await explain_text(req, inv.reply_text, inv.reply_author), ephemeral=True)
    return Reply(req.t(usage_key(inv, "cmd.why_usage")), ephemeral=True)


M = Privilege.MODERATOR
COMMANDS = (
    Command("case", M, (CASE,), show_case, private=True),
    Command("cases", M, (Param("member", Kind.MEMBER, required=True),), list_cases, private=True),
    Command("pardon", M, (CASE, Param("reason", Kind.TEXT)), pardon),
    Command(
        "note",
        M,
        (Param("member", Kind.MEMBER, required=True), Param("text", Kind.TEXT, required=True)),
        note,
        private=True,
    ),
    Command("why", M, (Param("case", Kind.CASE_ID),), why, private=True),
)
