"""``report``: a member's report is recorded first, then posted to the log channel with its number;
the moderators' view of reports (``cases``, ``stats``, ``reports``), their resolution by a
moderator's case, and ``dismiss`` for a report judged baseless."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bot.commands.spec import Command, Kind, Param, Reply, Request, mention, usage_key
from bot.events import Author, PlatformName
from bot.i18n import human_duration
from bot.moderation.permissions import Privilege
from bot.platforms.base import LogEntry, PlatformError
from bot.storage import StorageError
from bot.storage import members as member_store
from bot.storage import reports as report_store

log = structlog.get_logger("bot.commands.reports")

# A member may make REPORT_LIMIT reports in any REPORT_WINDOW. Five in ten minutes is more than an
# honest member needs even during a raid (one report names the raider; moderators see the rest),
# and few enough that one member cannot bury the log channel under reports.
REPORT_LIMIT = 5
REPORT_WINDOW = timedelta(minutes=10)
EXCERPT = 300  # characters of the reported message kept and posted
SHOWN_IN_CASES = 3  # latest reports about a member in ``cases``
OPEN_SHOWN = 10  # open reports listed by ``reports``, like the 10 cases of ``cases``
_SANCTIONS = frozenset({"warn", "mute", "kick", "ban"})
DISMISSED = "dismissed"  # a report's outcome when a moderator dismissed it
_LINE_EXCERPT = 60

_DISCORD_LINK = re.compile(
    r"^https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+)/(\d+)/(\d+)/?$"
)
# t.me/c/<chat id without -100>/<message>, or /<topic>/<message> in a forum; query parameters
# (?thread=, ?single) do not change the message.
_TELEGRAM_LINK = re.compile(r"^https?://t\.me/c/(\d+)/(?:\d+/)?(\d+)/?(?:\?\S*)?$")


def message_of_link(platform: PlatformName, community_id: str, link: str) -> tuple[str, str] | None:
    """(channel id, message id) of a message link into this community, else None."""
    if platform is PlatformName.DISCORD:
        m = _DISCORD_LINK.match(link)
        if m and m.group(1) == community_id:
            return m.group(2), m.group(3)
    elif platform is PlatformName.TELEGRAM:
        m = _TELEGRAM_LINK.match(link)
        if m and f"-100{m.group(1)}" == community_id:
            return community_id, m.group(2)  # a Telegram group is its own channel
    return None


@dataclass(frozen=True, slots=True)
class Reported:
    """What a report is about, as far as the bot can tell."""

    member: Author | None
    message: tuple[str, str] | None  # (channel id, message id)
    link: str | None
    excerpt: str


def _reported(req: Request, note: str) -> Reported:
    """The replied-to (or menu-picked) message; else a message link, its author from the bot's
    memory of recent messages when it saw it."""
    inv = req.inv
    link = inv.reply_link or (note if note.startswith("http") else None)
    if inv.reply_to is not None:
        message = (inv.reply_to.channel_id, inv.reply_to.message_id)
        return Reported(inv.reply_author, message, link, (inv.reply_text or "")[:EXCERPT])
    found = message_of_link(inv.platform, inv.community_id, link) if link else None
    author = None
    if found is not None:
        recent = req.ctx.activity.recent(str(inv.platform), inv.community_id, found[0])
        author = next((s.author for s in recent if s.message_id == found[1]), None)
    return Reported(author, found, link, "")


@dataclass(frozen=True, slots=True)
class _Recorded:
    """The outcome of recording: a new report's id, the earlier same report's, or a wait."""

    report_id: int | None = None
    same_as: int | None = None
    wait: timedelta | None = None


async def _record(req: Request, about: Reported, note: str) -> _Recorded:
    """In one transaction: refuse a repeat or a reporter over the limit, else store the report."""
    inv, now = req.inv, req.now
    async with req.ctx.db.transaction() as tx:
        cpk = await member_store.ensure_community(
            tx, str(inv.platform), inv.community_id, inv.community_name, now
        )
        reporter = await member_store.ensure_member(
            tx, cpk, inv.invoker.id, inv.invoker.name, now, username=inv.invoker.username
        )
        channel_id, message_id = about.message or (None, None)
        same = await report_store.find_same(tx, reporter, channel_id, message_id, about.link)
        if same is not None:
            return _Recorded(same_as=same)
        times = await report_store.times_since(tx, reporter, now - REPORT_WINDOW)
        if len(times) >= REPORT_LIMIT:
            return _Recorded(wait=times[-REPORT_LIMIT] + REPORT_WINDOW - now)
        member_pk = None
        if about.member is not None:
            member_pk = await member_store.ensure_member(
                tx, cpk, about.member.id, about.member.name, now, username=about.member.username
            )
        new = report_store.NewReport(
            cpk,
            reporter,
            now,
            member_pk=member_pk,
            channel_id=channel_id,
            message_id=message_id,
            link=about.link,
            excerpt=about.excerpt,
            note=note,
        )
        return _Recorded(report_id=await report_store.add_report(tx, new))


async def report(req: Request) -> Reply:
    """Record a report of a replied-to message (or a link, or words), then tell the log channel.

    Recorded first, so a log post that is dropped, or a community without a log channel, loses
    nothing: moderators see reports in ``cases`` and ``stats``. A repeat of the same report, or a
    reporter over ``REPORT_LIMIT`` in ``REPORT_WINDOW``, is refused and nothing is stored or posted.
    """
    inv = req.inv
    note = req.args.get("message") or ""
    if inv.reply_author is None and not note:
        return Reply(req.t(usage_key(inv, "cmd.report_usage")), ephemeral=True)
    about = _reported(req, note)
    recorded = await _record(req, about, note)
    if recorded.wait is not None:
        # Whole minutes, rounded up: "0 seconds" would read as "now".
        minutes = max(1, math.ceil(recorded.wait.total_seconds() / 60))
        text = req.t(
            "cmd.report_limit",
            count=REPORT_LIMIT,
            window=human_duration(REPORT_WINDOW, req.lang),
            wait=human_duration(timedelta(minutes=minutes), req.lang),
        )
        return Reply(text, ephemeral=True)
    if recorded.report_id is None:
        return Reply(req.t("cmd.report_duplicate", report=recorded.same_as or "?"), ephemeral=True)
    report_id = recorded.report_id
    log.info("report_recorded", report=report_id, platform=str(inv.platform), by=inv.invoker.id)
    log_channels = req.ctx.ruleset.channels.log.items()
    if not any(channel for platform, channel in log_channels if platform == inv.platform):
        return Reply(req.t("cmd.report_recorded"), ephemeral=True)
    try:
        await req.ctx.platform.post_log(inv.community_id, _log_entry(req, report_id, about, note))
    except PlatformError as exc:
        # The report is kept; the log channel is only where moderators hear of it first.
        log.warning("report_log_failed", report=report_id, error=exc.message)
        return Reply(req.t("cmd.report_recorded"), ephemeral=True)
    return Reply(req.t("cmd.reported"), ephemeral=True)


def _log_entry(req: Request, report_id: int, about: Reported, note: str) -> LogEntry:
    """The log channel's post about a report: its number in the title."""
    member = about.member
    return LogEntry(
        title=req.t("log.report_title", report=report_id),
        body=req.t(
            "log.report",
            reporter=mention(req.inv.invoker),
            member=mention(member) if member else "?",
            excerpt=about.excerpt or note,
        ),
        member_id=member.id if member else "",
        member_name=member.name if member else "",
        excerpt=about.excerpt,
        link=about.link,
        fields=((req.t("field.note"), note),) if note and about.excerpt else (),
    )


def _when(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _what(report: report_store.Report) -> str:
    """The start of the excerpt, else of the note, else the link; "-" when there is none."""
    what = report.excerpt or report.note or report.link or "-"
    if len(what) > _LINE_EXCERPT:
        what = what[: _LINE_EXCERPT - 1] + "…"
    return what


def _reporter(report: report_store.Report) -> str:
    """The reporter's name, with their @username when known."""
    reporter = report.reporter_name or report.reporter_user_id
    if report.reporter_username:
        reporter = f"{reporter} (@{report.reporter_username})"
    return reporter


def _state(req: Request, report: report_store.Report) -> str:
    """Open, resolved by a case (its outcome and number), or dismissed."""
    if report.resolved_at is None:
        return req.t("cases.report_open")
    if report.outcome == DISMISSED:
        return req.t("cases.report_dismissed")
    # The outcome is a sanction's kind (warn, mute, kick, ban): shown in the community's words.
    outcome = req.t(f"act.{report.outcome}") if report.outcome in _SANCTIONS else "?"
    if report.case_id is not None:
        return req.t("cases.report_resolved_case", outcome=outcome, case=report.case_id)
    return req.t("cases.report_resolved", outcome=outcome)


def report_line(req: Request, report: report_store.Report) -> str:
    """One report on one line: number, date, reporter, what, state."""
    head = f"{req.t('cases.report', report=report.id)} {_when(report.created_at)}"
    by = req.t("cases.report_by", reporter=_reporter(report))
    return f"{head} · {by} · “{_what(report)}” · {_state(req, report)}"


async def report_lines(req: Request, member_pk: int) -> list[str]:
    """For ``cases``: how many reports are about the member and the latest few; none: nothing."""
    db = req.ctx.db
    total = await report_store.count_reports(db, member_pk=member_pk)
    if not total:
        return []
    still_open = await report_store.count_reports(db, member_pk=member_pk, open_only=True)
    latest = await report_store.list_reports(db, member_pk=member_pk, limit=SHOWN_IN_CASES)
    lines = [req.t("cases.reports", count=total, open=still_open)]
    return lines + [report_line(req, r) for r in latest]


async def resolve_by_case(
    req: Request, target: Author, case_id: int, outcome: str, message: tuple[str, str] | None
) -> int:
    """A moderator's case on ``target`` resolves the open reports about them (and those about the
    message it was given on, whose author was unknown); returns how many."""
    inv = req.inv
    record = await member_store.find_member(
        req.ctx.db, str(inv.platform), inv.community_id, target.id
    )
    if record is None:
        return 0
    try:
        async with req.ctx.db.transaction() as tx:
            resolved = await report_store.resolve_about(
                tx,
                record.community_pk,
                record.id,
                inv.invoker.id,
                outcome,
                case_id,
                req.now,
                message=message,
            )
    except StorageError:
        # The case is recorded and carried out; the reports stay open, which only shows more work.
        log.exception("reports_resolve_failed", case=case_id)
        return 0
    if resolved:
        log.info("reports_resolved", count=resolved, case=case_id, member=target.id)
    return resolved


def _age(req: Request, created_at: datetime) -> str:
    """How long ago, in its largest unit (days, else hours, else minutes; at least 1 minute)."""
    seconds = max(0, int((req.now - created_at).total_seconds()))
    for size in (86400, 3600):
        if seconds >= size:
            return human_duration(timedelta(seconds=seconds - seconds % size), req.lang)
    return human_duration(timedelta(minutes=max(1, seconds // 60)), req.lang)


def open_line(req: Request, report: report_store.Report) -> str:
    """An open report for ``reports``: number, age, reporter, reported member, what."""
    if report.member_user_id is not None:
        member = report.member_name or report.member_user_id
    else:
        member = req.t("reports.member_unknown")
    # A link given as the report's text is its note too: shown as a link, not quoted.
    words = report.excerpt or (report.note if report.note != report.link else "")
    shown = f"“{_what(report)}”" if words else (report.link or "-")
    return req.t(
        "reports.line",
        report=report.id,
        age=_age(req, report.created_at),
        reporter=_reporter(report),
        member=member,
        what=shown,
    )


async def list_open(req: Request) -> Reply:
    """``reports``: the community's open reports, newest first, at most ``OPEN_SHOWN``."""
    inv = req.inv
    community = (str(inv.platform), inv.community_id)
    db = req.ctx.db
    total = await report_store.count_reports(db, community=community, open_only=True)
    if not total:
        return Reply(req.t("reports.none"), ephemeral=True)
    shown = await report_store.list_reports(
        db, community=community, open_only=True, limit=OPEN_SHOWN
    )
    header = (
        req.t("reports.header", count=total)
        if total <= OPEN_SHOWN
        else req.t("reports.header_more", count=total, shown=OPEN_SHOWN)
    )
    lines = [header, *(open_line(req, r) for r in shown), req.t("reports.hint")]
    return Reply("\n".join(lines), ephemeral=True)


async def dismiss(req: Request) -> Reply:
    """``dismiss``: close an open report judged baseless (who, when, "dismissed", the reason),
    then tell the log channel. A closed report, or one about the moderator, is refused."""
    found: report_store.Report = req.args["report"]
    inv, ctx = req.inv, req.ctx
    reason: str | None = req.args.get("reason")
    if found.member_user_id == inv.invoker.id and not inv.invoker.is_owner:
        # Waving away a report about oneself is another moderator's call (as a pardon is).
        return Reply(req.t("cmd.dismiss_own", report=found.id), ephemeral=True)
    async with ctx.db.transaction() as tx:
        # The update itself checks that the report is still open: two dismissals at once, or a
        # sanction resolving it meanwhile, leave the first resolution as it was.
        done = await report_store.resolve(
            tx, found.id, inv.invoker.id, DISMISSED, req.now, reason=reason
        )
    if not done:
        current = await report_store.get_report(ctx.db, found.id) or found
        return Reply(
            req.t("cmd.report_closed", report=found.id, state=_state(req, current)),
            ephemeral=True,
        )
    log.info("report_dismissed", report=found.id, by=inv.invoker.id)
    await _post_dismissal(req, found, reason)
    text = req.t("cmd.dismissed", report=found.id)
    return Reply(text, ephemeral=True)


async def _post_dismissal(req: Request, found: report_store.Report, reason: str | None) -> None:
    """A short log entry: the report's number, by whom, why."""
    inv = req.inv
    fields: tuple[tuple[str, str], ...] = ((req.t("field.moderator"), mention(inv.invoker)),)
    if reason:
        fields += ((req.t("field.reason"), reason),)
    entry = LogEntry(
        title=req.t("log.report_dismissed_title", report=found.id),
        body=req.t(
            "log.report_dismissed", reporter=_reporter(found), moderator=mention(inv.invoker)
        ),
        member_id=found.member_user_id or "",
        member_name=found.member_name or "",
        link=found.link,
        fields=fields,
    )
    try:
        await req.ctx.platform.post_log(inv.community_id, entry)
    except PlatformError as exc:
        # The dismissal is recorded; the log channel is a courtesy, as for a pardon.
        log.warning("report_dismiss_log_failed", report=found.id, error=exc.message)


M = Privilege.MODERATOR
# Additions to the interface's commands: reviewing the open reports and dismissing one.
COMMANDS = (
    Command("reports", M, (), list_open, private=True),
    Command(
        "dismiss",
        M,
        (Param("report", Kind.REPORT_ID, required=True), Param("reason", Kind.TEXT)),
        dismiss,
        private=True,
    ),
)
