"""Commands for every member: rules, report (its body in ``reports.py``), appeal, mycases."""

from __future__ import annotations

from bot.commands.cases import LIST_LIMIT, case_line
from bot.commands.reports import report
from bot.commands.spec import Command, Kind, Param, Reply, Request, mention
from bot.moderation.permissions import Privilege
from bot.platforms.base import LogEntry
from bot.storage import appeals as appeal_store
from bot.storage import cases as case_store
from bot.storage import members as member_store


async def rules(req: Request) -> Reply:
    """The community's guidelines, in its language (as written in the rules file)."""
    community = req.ctx.ruleset.community
    name = community.name or req.inv.community_name or "?"
    if not community.guidelines:
        return Reply(req.t("rules.none", community=name))
    lines = [req.t("rules.header", community=name)]
    lines += [f"{n}. {g}" for n, g in enumerate(community.guidelines, 1)]
    return Reply("\n".join(lines))


async def appeal(req: Request) -> Reply:
    """Appeal one of your own cases: recorded and posted for the moderators; ``pardon`` resolves.
    In a private chat with the bot (``inv.direct``) the case, of this platform only, gives the
    community; the member is recognised by their platform user id either way."""
    case: case_store.CaseRecord = req.args["case"]
    inv = req.inv
    if case.user_id != inv.invoker.id:
        return Reply(req.t("cmd.not_your_case", case=case.id), ephemeral=True)
    if case.pardoned_at is not None:
        return Reply(req.t("cmd.already_pardoned", case=case.id), ephemeral=True)
    text: str = req.args["text"]
    async with req.ctx.db.transaction() as tx:
        await appeal_store.add_appeal(tx, case.id, case.member_pk, text, req.now)
    await req.ctx.platform.post_log(
        case.community_id,  # the invocation's, in a group; the case's own in a private chat
        LogEntry(
            title=req.t("act.appeal"),
            body=req.t("log.appeal", member=mention(inv.invoker), case=case.id, text=text),
            case_id=case.id,
            member_id=inv.invoker.id,
            member_name=inv.invoker.name,
            excerpt=text[:300],
        ),
    )
    return Reply(req.t("cmd.appealed", case=case.id), ephemeral=True)


async def mycases(req: Request) -> Reply:
    """Your own cases and active strikes (shadow cases are the moderators' business). In a private
    chat with the bot (``inv.direct``): in every community of the platform where the bot has seen
    you, each under its name, those without cases left out."""
    inv = req.inv
    if inv.direct:
        return await _mycases_everywhere(req)
    record = await member_store.find_member(
        req.ctx.db, str(inv.platform), inv.community_id, inv.invoker.id
    )
    if record is None:
        return Reply(req.t("cmd.no_cases"), ephemeral=True)
    strikes = await case_store.active_strikes(req.ctx.db, record.id, req.now)
    cases = await case_store.list_cases(
        req.ctx.db, member_pk=record.id, limit=LIST_LIMIT, include_shadow=False
    )
    lines = [req.t("mycases.header", strikes=strikes)]
    lines += [case_line(req, c) for c in cases] or [req.t("cmd.no_cases")]
    if any(c.pardoned_at is None for c in cases):
        lines.append(req.t("mycases.appeal_hint"))
    return Reply("\n".join(lines), ephemeral=True)


async def _mycases_everywhere(req: Request) -> Reply:
    """``mycases`` outside any community: a section per community with cases, newest first."""
    inv = req.inv
    db = req.ctx.db
    sections: list[tuple[case_store.CaseRecord, list[str]]] = []
    open_case = False
    for record, name in await member_store.communities_of_user(
        db, str(inv.platform), inv.invoker.id
    ):
        cases = await case_store.list_cases(
            db, member_pk=record.id, limit=LIST_LIMIT, include_shadow=False
        )
        if not cases:
            continue
        strikes = await case_store.active_strikes(db, record.id, req.now)
        header = req.t(
            "mycases.community",
            community=name or req.ctx.ruleset.community.name or record.community_id,
            strikes=strikes,
        )
        sections.append((cases[0], [header, *(case_line(req, c) for c in cases)]))
        open_case = open_case or any(c.pardoned_at is None for c in cases)
    if not sections:
        return Reply(req.t("cmd.no_cases"), ephemeral=True)
    sections.sort(key=lambda s: (s[0].created_at, s[0].id), reverse=True)
    lines = ["\n".join(section) for _, section in sections]
    if open_case:
        lines.append(req.t("mycases.appeal_hint"))
    return Reply("\n\n".join(lines), ephemeral=True)


E = Privilege.MEMBER
COMMANDS = (
    Command("rules", E, (), rules),
    Command("report", E, (Param("message", Kind.TEXT),), report),
    Command(
        "appeal",
        E,
        (Param("case", Kind.CASE_ID, required=True), Param("text", Kind.TEXT, required=True)),
        appeal,
        private=True,
        direct=True,
    ),
    Command("mycases", E, (), mycases, private=True, direct=True),
)
