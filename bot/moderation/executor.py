"""Intent first: record a case, its actions and strikes in one transaction, then act, then mark."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from bot.events import Author, MessageRef, PlatformName
from bot.i18n import human_duration, t
from bot.moderation.escalation import Escalation, LadderStepLike, escalate, strike_expiry
from bot.moderation.permissions import (
    Privilege,
    Refused,
    Subject,
    can_act,
    privilege_of,
)
from bot.platforms.base import (
    FailureKind,
    LogEntry,
    LogResult,
    Platform,
    PlatformError,
    default_appeal_hint,
)
from bot.rules.actions import ActionSet, Ban, Kick, Mute, Sanction, Warn
from bot.rules.durations import format_duration
from bot.storage import Database, SyncConn, Tx, from_ts, to_ts
from bot.storage import cases as case_store
from bot.storage import members as member_store
from bot.storage import reversals as reversal_store

log = structlog.get_logger("bot.moderation.executor")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

SANCTION_KINDS = frozenset({"warn", "mute", "kick", "ban"})
# Posts about a case (the warn reply, the sanction notice, rule replies, the log entry): with
# ``follow_up`` they are sent after ``execute`` returns, so they never hold up the delete, the
# sanction or the next message.
MESSAGE_KINDS = frozenset({"warn", "notice", "reply", "alert", "log"})
# Posts to the log channel: ``post_log`` may only queue them, and their status follows the queue.
LOG_KINDS = frozenset({"alert", "log"})
# Refused together with the sanction when the member may not be sanctioned (nothing to announce).
REFUSED_WITH_SANCTION = SANCTION_KINDS | {"notice"}
# An automatic case's sanction is announced in the channel (``notice``), with these messages; only
# the muted member is still there to read the appeal hint.
NOTICE_MESSAGES = {"mute": "auto.muted", "kick": "auto.kicked", "ban": "auto.banned"}
# A raid must not make the bot spam back: at most this many notices per channel in the window; the
# rest are recorded as skipped (the log channel and /cases still have every case).
NOTICE_BURST = 5
NOTICE_WINDOW = timedelta(seconds=60)
# The platform right each action needs, for the one-alert-per-missing-right rule.
_RIGHT = {
    "delete": "delete messages",
    "mute": "mute members",
    "unmute": "mute members",
    "kick": "kick members",
    "ban": "ban members",
    "unban": "ban members",
    "warn": "send messages",
    "reply": "send messages",
    "notice": "send messages",
    "alert": "post in the log channel",
    "log": "post in the log channel",
}


def describe(sanction: Sanction | None) -> str:
    """A sanction as a short word: ``warn``, ``mute 1h``, ``kick``, ``ban``, ``ban 1d``."""
    if sanction is None:
        return ""
    if isinstance(sanction, Mute):
        return f"mute {format_duration(sanction.duration)}"
    if isinstance(sanction, Ban):
        return "ban" if sanction.duration is None else f"ban {format_duration(sanction.duration)}"
    return "kick" if isinstance(sanction, Kick) else "warn"


def describe_in(sanction: Sanction | None, language: str) -> str:
    """A sanction in the community's language (``{duration}`` in rule replies): ``mute for 1
    hour`` / ``cấm chat 1 giờ``; empty without one."""
    kind = sanction_kind(sanction)
    if kind is None:
        return ""
    if isinstance(sanction, Mute):
        return t("sanction.mute", language, duration=human_duration(sanction.duration, language))
    if isinstance(sanction, Ban) and sanction.duration is not None:
        duration = human_duration(sanction.duration, language)
        return t("sanction.ban_timed", language, duration=duration)
    return t(f"sanction.{kind}", language)


def post_text(
    params: Mapping[str, Any],
    case_id: int | None,
    appeal_hint: Callable[[str, int], str] = default_appeal_hint,
) -> str:
    """The text of a recorded post (``warn``, ``notice``, ``reply``), filled with its case number.

    A notice is recorded as a catalogue key, its language and values, since the case number is
    only known once the case is written; ``appeal`` adds the appeal hint for the case, which the
    platform words (``Platform.appeal_hint``: on Telegram, /appeal also works in a private chat
    with the bot, since a muted member cannot post in the group).
    """
    language = str(params.get("language", "en"))
    values = params.get("values") or {}
    if "message" in params:
        text = t(str(params["message"]), language, **values, case=case_id)
    else:
        text = str(params.get("text", ""))
    if params.get("appeal") and case_id is not None:
        text += "\n" + appeal_hint(language, case_id)
    return text


def sanction_kind(sanction: Sanction | None) -> str | None:
    """``warn`` / ``mute`` / ``kick`` / ``ban`` (None for no sanction)."""
    if sanction is None:
        return None
    return {Warn: "warn", Mute: "mute", Kick: "kick", Ban: "ban"}[type(sanction)]


@dataclass(frozen=True, slots=True)
class Policy:
    """What the rules file says about escalation and moderators (from the current RuleSet)."""

    ladder: Sequence[LadderStepLike] = ()
    strikes_expire: timedelta | None = None
    moderator_roles: frozenset[str] = frozenset()
    language: str = "en"
    community_name: str = ""  # ``community.name`` ("": the server's or group's own name)


@dataclass(frozen=True, slots=True)
class Intent:
    """What to record and then do about one member; built by the pipeline or by a command.

    ``actions`` are the enforced actions (rules) or the moderator's order; ``shadow_alert`` asks for
    the shadow rules' alert only. ``message`` is the offending (or replied-to) message, if any.
    """

    platform: PlatformName
    community_id: str
    member: Author
    now: datetime
    actions: ActionSet
    source: str = "rules"  # "rules" | "moderator"
    rule_ids: tuple[str, ...] = ()
    shadow_rule_ids: tuple[str, ...] = ()
    shadow_alert: bool = False
    reason: str = ""
    channel_id: str | None = None
    thread_id: str | None = None  # Telegram forum topic of the message (Channel.thread_id)
    message_id: str | None = None
    message_text: str | None = None
    link: str | None = None
    normalized: str | None = None
    evidence: list[dict[str, Any]] | None = None
    moderator: Author | None = None
    community_name: str = ""
    delete_message_seconds: int = 0
    escalate: bool = True  # False: strikes are recorded but the ladder is not consulted


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """How one recorded action ended: done, failed, refused, or still pending (retry later)."""

    id: int
    kind: str
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``execute`` recorded and did."""

    case_id: int
    escalation: Escalation
    sanction: Sanction | None
    actions: tuple[ActionOutcome, ...] = ()
    refused: Refused | None = None
    reversal_due: datetime | None = None

    @property
    def strikes(self) -> int:
        """The member's active strikes once this case counted."""
        return self.escalation.after


@dataclass(frozen=True, slots=True)
class Pardon:
    """What ``pardon`` recorded and lifted.

    ``sanction`` is the case's own ``mute``/``ban`` (None for other cases). ``lift_case_id`` and
    ``action`` are the unmute/unban case and its outcome when the sanction was still in force;
    ``kept_case_id`` names the case whose mute/ban is in force instead and stays.
    """

    pardoned: bool
    sanction: str | None = None
    lift_case_id: int | None = None
    action: ActionOutcome | None = None
    refused: Refused | None = None
    kept_case_id: int | None = None

    @property
    def lifted(self) -> bool:
        """The mute/ban was lifted on the platform."""
        return self.action is not None and self.action.status == case_store.DONE


@dataclass(frozen=True, slots=True)
class _Recorded:
    cpk: int
    mpk: int
    esc: Escalation
    refused: Refused | None
    planned: list[case_store.ActionIntent]
    case_id: int
    ids: list[int]
    due: datetime | None


@dataclass
class _Attempt:
    status: str
    error: str | None = None
    result: Any = None


@dataclass
class Executor:
    """Runs intents through the platforms, recording first; one per process, for all platforms.

    ``after_commit`` is called with the case id right after the intent is committed and before any
    platform call (the crash test kills the process there). ``on_schedule`` wakes the scheduler.
    """

    db: Database
    platforms: dict[str, Platform] = field(default_factory=dict)
    clock: Clock | None = None
    sleep: Sleep = asyncio.sleep
    bot_ids: dict[str, str] = field(default_factory=dict)
    on_schedule: Callable[[datetime], None] | None = None
    after_commit: Callable[[int], Awaitable[None]] | None = None
    transient_retries: int = 3
    backoff: float = 0.5
    max_rate_limit_waits: int = 20
    _alerted: set[tuple[str, str, str]] = field(default_factory=set)
    # Each community's language, from the policy of its latest case (for alerts outside a case).
    _languages: dict[tuple[str, str], str] = field(default_factory=dict)
    _pks: dict[tuple[str, ...], int] = field(default_factory=dict)
    # Per member, the latest background task posting follow-ups (each waits for the one before).
    _follow_ups: dict[tuple[str, str, str], asyncio.Task[None]] = field(default_factory=dict)
    # Per channel, when its latest notices were posted (NOTICE_BURST).
    _notices: dict[tuple[str, str, str], deque[datetime]] = field(default_factory=dict)
    # Recording the outcome of log entries whose queued post has just settled (``drain`` waits).
    _settling: set[asyncio.Task[None]] = field(default_factory=set)

    def add_platform(self, platform: Platform, bot_id: str | None = None) -> None:
        """Register a connected platform (and the bot's own user id there)."""
        self.platforms[str(platform.name)] = platform
        if bot_id is not None:
            self.bot_ids[str(platform.name)] = bot_id

    def _now(self) -> datetime:
        if self.clock is None:
            from bot.storage import utcnow

            return utcnow()
        return self.clock()

    # -- recording -------------------------------------------------------------------------------

    async def _member_pks(self, tx: Tx, intent: Intent) -> tuple[int, int]:
        key_c = (str(intent.platform), intent.community_id)
        cpk = self._pks.get(key_c)
        if cpk is None:
            cpk = await member_store.ensure_community(
                tx, str(intent.platform), intent.community_id, intent.community_name, intent.now
            )
        m = intent.member
        key_m = (*key_c, m.id, m.name, m.username or "")
        mpk = self._pks.get(key_m)
        if mpk is None:
            mpk = await member_store.ensure_member(
                tx, cpk, m.id, m.name, intent.now, username=m.username, joined_at=m.joined_at
            )
        # Rows are never deleted, so their ids can be remembered; a rollback forgets nothing wrong
        # because ids are only cached after a successful commit (see execute).
        return cpk, mpk

    def _remember(self, intent: Intent, cpk: int, mpk: int) -> None:
        self.remember_member(intent.platform, intent.community_id, intent.member, cpk, mpk)

    def remember_member(
        self, platform: PlatformName | str, community_id: str, member: Author, cpk: int, mpk: int
    ) -> None:
        """Cache committed row ids (the pipeline's first sight of a member saves a case the upserts)."""
        if len(self._pks) > 100_000:
            self._pks.clear()
        key_c = (str(platform), community_id)
        self._pks[key_c] = cpk
        self._pks[(*key_c, member.id, member.name, member.username or "")] = mpk

    def _cached_pks(self, intent: Intent) -> tuple[int, int] | None:
        m = intent.member
        key_c = (str(intent.platform), intent.community_id)
        cpk = self._pks.get(key_c)
        mpk = self._pks.get((*key_c, m.id, m.name, m.username or ""))
        return None if cpk is None or mpk is None else (cpk, mpk)

    def _new_case(
        self, intent: Intent, cpk: int, mpk: int, esc: Escalation, until: datetime | None
    ) -> case_store.NewCase:
        shadow = not intent.rule_ids and bool(intent.shadow_rule_ids) and intent.source == "rules"
        return case_store.NewCase(
            community_pk=cpk,
            member_pk=mpk,
            source=intent.source,
            created_at=intent.now,
            rule_ids=intent.rule_ids or intent.shadow_rule_ids,
            moderator_id=intent.moderator.id if intent.moderator else None,
            moderator_name=intent.moderator.name if intent.moderator else None,
            shadow=shadow,
            sanction=sanction_kind(esc.sanction),
            reason=intent.reason,
            channel_id=intent.channel_id,
            message_id=intent.message_id,
            link=intent.link,
            message_text=intent.message_text,
            normalized=intent.normalized,
            evidence=intent.evidence,
            strikes=intent.actions.strikes,
            strikes_after=esc.after,
            ladder_step=esc.step,
            expires_at=until,
        )

    def _actor(self, intent: Intent, policy: Policy) -> Subject:
        if intent.moderator is not None:
            return Subject(
                intent.moderator.id, privilege_of(intent.moderator, policy.moderator_roles)
            )
        return Subject(self.bot_ids.get(str(intent.platform), "bot"), Privilege.BOT)

    def _plan(
        self,
        intent: Intent,
        sanction: Sanction | None,
        reason: str,
        policy: Policy,
        until: datetime | None,
    ) -> list[case_store.ActionIntent]:
        """The platform calls for an intent, in order, as JSON-able params (replayable)."""
        member = intent.member.name or intent.member.id
        acts: list[case_store.ActionIntent] = []
        a = intent.actions
        if a.delete and intent.message_id and intent.channel_id:
            acts.append(
                case_store.ActionIntent(
                    "delete",
                    {"channel_id": intent.channel_id, "message_id": intent.message_id},
                )
            )
        kind = sanction_kind(sanction)
        language = policy.language
        reply_to = None if a.delete else intent.message_id
        # Where the case's posts go: the channel, and in a Telegram forum the member's topic
        # (recorded only when there is one: older rows, without it, post as before).
        where: dict[str, Any] = {"channel_id": intent.channel_id, "reply_to": reply_to}
        if intent.thread_id:
            where["thread_id"] = intent.thread_id
        if kind == "warn":
            acts.append(
                case_store.ActionIntent(
                    "warn",
                    {
                        **where,
                        "text": t(
                            "auto.warning" if reason else "auto.warning_no_reason",
                            language,
                            member=member,
                            reason=reason,
                        ),
                        "language": language,
                        "appeal": True,
                    },
                )
            )
        elif kind == "mute":
            acts.append(case_store.ActionIntent("mute", {"until": to_ts(until)}))
        elif kind == "kick":
            acts.append(case_store.ActionIntent("kick", {}))
        elif kind == "ban":
            acts.append(
                case_store.ActionIntent(
                    "ban",
                    {
                        "until": to_ts(until),
                        "delete_message_seconds": intent.delete_message_seconds,
                    },
                )
            )
        if kind in NOTICE_MESSAGES and intent.source == "rules" and intent.channel_id:
            # A moderator's command answers in the chat itself; shadow cases have no sanction.
            duration = getattr(sanction, "duration", None)
            acts.append(
                case_store.ActionIntent(
                    "notice",
                    {
                        **where,
                        "message": NOTICE_MESSAGES[kind],
                        "language": language,
                        "values": {
                            "member": member,
                            "reason": reason.rstrip(". ") or "-",
                            "duration": human_duration(duration, language),
                        },
                        "appeal": kind == "mute",
                    },
                )
            )
        for reply in sorted(a.replies):
            text = render_template(
                reply.template,
                member=member,
                community=policy.community_name or intent.community_name,
                rule=reply.rule_id,
                reason=reason,
                duration=describe_in(sanction, language),
            )
            acts.append(
                case_store.ActionIntent(
                    "reply",
                    {
                        **where,
                        "text": text,
                    },
                )
            )
        if a.alert or intent.shadow_alert or kind is not None or a.delete:
            # Every action and alert goes to the log channel; shadow-only cases are marked shadow.
            shadow_only = not (a.alert or kind or a.delete) and intent.shadow_alert
            rules = intent.rule_ids or intent.shadow_rule_ids
            acts.append(
                case_store.ActionIntent(
                    "alert" if (a.alert or intent.shadow_alert) else "log",
                    {
                        "title": describe_in(sanction, policy.language)
                        or t("log.title_alert" if a.alert else "log.title_delete", policy.language),
                        "kind": sanction_kind(sanction) or ("alert" if a.alert else "delete"),
                        "body": reason,
                        "rule_ids": list(rules if not shadow_only else intent.shadow_rule_ids),
                        "member_id": intent.member.id,
                        "member_name": intent.member.name,
                        "excerpt": (intent.message_text or "")[:300],
                        "link": intent.link,
                        "shadow": shadow_only,
                    },
                )
            )
        return acts

    async def execute(
        self, intent: Intent, policy: Policy = Policy(), *, follow_up: bool = False
    ) -> Outcome:
        """Record the intent (case, actions, strikes, reversal) in one transaction, then act.

        ``follow_up=True`` (the live pipeline): the delete and the sanction are carried out before
        returning; the posts (warn, replies, log entry) go out afterwards in a background task,
        in order per member, and show as pending in the returned outcome. ``drain`` waits for them.
        """
        verdict = can_act(
            self._actor(intent, policy),
            Subject(intent.member.id, privilege_of(intent.member, policy.moderator_roles)),
        )
        self._languages[str(intent.platform), intent.community_id] = policy.language
        cached = self._cached_pks(intent)

        def record(conn: SyncConn) -> _Recorded:
            # Runs on the database thread inside one transaction: the active strikes read here
            # cannot change before the case that adds to them commits, so none is ever lost.
            if cached is not None:
                cpk, mpk = cached
            else:
                cpk, mpk = member_store.ensure_author_sync(
                    conn,
                    str(intent.platform),
                    intent.community_id,
                    intent.community_name,
                    intent.member,
                    intent.now,
                )
            strikes = intent.actions.strikes
            before = case_store.active_strikes_sync(conn, mpk, intent.now) if strikes else 0
            ladder = policy.ladder if intent.escalate else ()
            esc = escalate(before, strikes, intent.actions.sanction, ladder)
            sanction = esc.sanction
            refused = verdict if sanction is not None and isinstance(verdict, Refused) else None
            until = _until(sanction, intent.now)
            planned = self._plan(intent, sanction, intent.reason, policy, until)
            case_id, action_ids = case_store.insert_case_sync(
                conn,
                self._new_case(intent, cpk, mpk, esc, until),
                planned,
                strikes_expire_at=strike_expiry(intent.now, policy.strikes_expire),
            )
            due: datetime | None = None
            if refused is not None:
                for aid, act in zip(action_ids, planned, strict=True):
                    if act.kind in REFUSED_WITH_SANCTION:
                        case_store.mark_action_sync(
                            conn, aid, case_store.REFUSED, intent.now, f"refused: {refused.detail}"
                        )
            elif until is not None:
                kind = "unmute" if isinstance(sanction, Mute) else "unban"
                reversal_store.schedule_sync(conn, cpk, mpk, kind, until, intent.now, case_id)
                due = until
            return _Recorded(cpk, mpk, esc, refused, planned, case_id, action_ids, due)

        rec = await self.db.write(record)
        cpk, mpk, esc, refused = rec.cpk, rec.mpk, rec.esc, rec.refused
        sanction, planned, case_id, action_ids = esc.sanction, rec.planned, rec.case_id, rec.ids
        reversal_due, reason = rec.due, intent.reason
        self._remember(intent, cpk, mpk)
        log.info(
            "case_recorded",
            case=case_id,
            platform=str(intent.platform),
            community=intent.community_id,
            member=intent.member.id,
            rules=list(intent.rule_ids),
            strikes=esc.after,
            step=esc.step,
            sanction=describe(sanction) or None,
            refused=refused.reason if refused is not None else None,
        )
        if reversal_due is not None and self.on_schedule is not None:
            self.on_schedule(reversal_due)
        if self.after_commit is not None:
            await self.after_commit(case_id)
        outcomes: list[ActionOutcome] = []
        later: list[tuple[int, case_store.ActionIntent]] = []
        sanction_status: str | None = None
        for aid, act in zip(action_ids, planned, strict=True):
            if refused is not None and act.kind in REFUSED_WITH_SANCTION:
                outcomes.append(ActionOutcome(aid, act.kind, case_store.REFUSED, refused.detail))
                continue
            if act.kind == "notice" and sanction_status != case_store.DONE:
                # Announce only a sanction that happened; a pending one leaves its notice pending
                # too (replay_pending posts it after the sanction).
                outcomes.append(await self._hold_notice(aid, sanction_status))
                continue
            if follow_up and act.kind in MESSAGE_KINDS:
                later.append((aid, act))
                outcomes.append(ActionOutcome(aid, act.kind, case_store.PENDING))
                continue
            outcome = await self._perform_for(intent, reason, case_id, aid, act)
            if act.kind in NOTICE_MESSAGES:
                sanction_status = outcome.status
            outcomes.append(outcome)
        if later:
            self._post_later(intent, reason, case_id, later)
        return Outcome(case_id, esc, sanction, tuple(outcomes), refused, reversal_due)

    async def _hold_notice(self, action_id: int, sanction_status: str | None) -> ActionOutcome:
        """The notice of a sanction that was not carried out: failed with it, or still pending."""
        if sanction_status in (None, case_store.PENDING):
            return ActionOutcome(action_id, "notice", case_store.PENDING, "sanction pending")
        note = "not posted: the sanction was not carried out"
        now = self._now()
        await self.db.write(
            lambda conn: case_store.mark_action_sync(conn, action_id, case_store.FAILED, now, note)
        )
        return ActionOutcome(action_id, "notice", case_store.FAILED, note)

    def _notice_allowed(self, platform: str, community_id: str, channel_id: str) -> bool:
        """At most NOTICE_BURST notices per channel within NOTICE_WINDOW (a raid is not answered
        with as many notices)."""
        now = self._now()
        key = (platform, community_id, channel_id)
        times = self._notices.setdefault(key, deque())
        while times and times[0] <= now - NOTICE_WINDOW:
            times.popleft()
        if len(times) >= NOTICE_BURST:
            return False
        times.append(now)
        if len(self._notices) > 10_000:
            self._notices = {
                k: v for k, v in self._notices.items() if v and v[-1] > now - NOTICE_WINDOW
            }
        return True

    def _post_later(
        self,
        intent: Intent,
        reason: str,
        case_id: int,
        actions: list[tuple[int, case_store.ActionIntent]],
    ) -> None:
        """Send a case's posts in the background, after the member's earlier cases' posts."""
        key = (str(intent.platform), intent.community_id, intent.member.id)
        before = self._follow_ups.get(key)

        async def run() -> None:
            if before is not None:
                await asyncio.wait({before})  # its outcome is its own; only the order matters
            for aid, act in actions:
                try:
                    await self._perform_for(intent, reason, case_id, aid, act)
                except Exception:  # logged; the action stays pending and is replayed at start
                    log.exception("follow_up_failed", case=case_id, action=act.kind)

        task = asyncio.create_task(run())
        self._follow_ups[key] = task

        def done(t: asyncio.Task[None]) -> None:
            if self._follow_ups.get(key) is t:
                del self._follow_ups[key]

        task.add_done_callback(done)

    async def drain(self) -> None:
        """Wait for the posts still going out in the background, and for the recording of the log
        entries already posted or given up (bound it with a timeout). Entries still queued on a
        platform are not waited for: the platform's ``stop`` flushes its queue."""
        while self._follow_ups or self._settling:
            await asyncio.wait({*self._follow_ups.values(), *self._settling})

    # -- acting ----------------------------------------------------------------------------------

    async def _perform_for(
        self,
        intent: Intent,
        reason: str,
        case_id: int,
        action_id: int,
        action: case_store.ActionIntent,
    ) -> ActionOutcome:
        """``_perform`` one recorded action of a case about ``intent``'s member."""
        return await self._perform(
            action_id,
            action.kind,
            action.params,
            str(intent.platform),
            intent.community_id,
            intent.member.id,
            reason,
            case_id,
        )

    async def _perform(
        self,
        action_id: int,
        kind: str,
        params: Mapping[str, Any],
        platform_name: str,
        community_id: str,
        user_id: str,
        reason: str,
        case_id: int,
    ) -> ActionOutcome:
        platform = self.platforms.get(platform_name)
        if platform is None:
            # Not connected in this run: leave it pending for a run that has the platform.
            return ActionOutcome(action_id, kind, case_store.PENDING, "platform not connected")
        if kind == "notice" and not self._notice_allowed(
            platform_name, community_id, str(params.get("channel_id"))
        ):
            attempt = _Attempt(case_store.DONE, "skipped: too many notices in this channel")
        else:
            attempt = await self._call(
                platform, kind, params, community_id, user_id, reason, case_id
            )
        receipt = attempt.result
        if kind in LOG_KINDS and isinstance(receipt, asyncio.Future):
            if not receipt.done():
                # Queued: the row stays pending until the post went out or was given up, so a
                # crash meanwhile leaves it for replay_pending instead of losing the entry.
                where = (platform_name, community_id, user_id, case_id)
                receipt.add_done_callback(lambda r: self._log_settled(action_id, kind, where, r))
                log.info("action_queued", case=case_id, action=kind, platform=platform_name)
                return ActionOutcome(action_id, kind, case_store.PENDING, "queued")
            if receipt.cancelled():
                return ActionOutcome(action_id, kind, case_store.PENDING, "not posted")
            attempt = _log_attempt(receipt.result())
        now = self._now()
        error = attempt.error
        asked = from_ts(params.get("until")) if kind == "mute" else None
        real_end = attempt.result if isinstance(attempt.result, datetime) else None
        clamped = (
            attempt.status == case_store.DONE
            and asked is not None
            and real_end is not None
            and real_end < asked - timedelta(seconds=1)
        )
        if clamped:
            assert real_end is not None
            error = f"clamped: the platform caps mutes; it ends {real_end.isoformat()}"

        def mark(conn: SyncConn) -> None:
            case_store.mark_action_sync(conn, action_id, attempt.status, now, error)
            if clamped:
                assert real_end is not None
                reversal_store.mute_clamped_sync(conn, case_id, real_end, now)

        await self.db.write(mark)
        _log_action(attempt, kind, (platform_name, community_id, user_id, case_id))
        return ActionOutcome(action_id, kind, attempt.status, attempt.error)

    def _log_settled(
        self,
        action_id: int,
        kind: str,
        where: tuple[str, str, str, int],
        receipt: asyncio.Future[LogResult],
    ) -> None:
        """A queued log entry was posted or given up: record it (cancelled: left pending)."""
        platform_name, _, _, case_id = where
        if receipt.cancelled():
            # The process stopped before the post went out: replay_pending posts it next start.
            log.info("action_unposted", case=case_id, action=kind, platform=platform_name)
            return
        attempt = _log_attempt(receipt.result())

        async def record() -> None:
            now = self._now()
            try:
                await self.db.write(
                    lambda conn: case_store.mark_action_sync(
                        conn, action_id, attempt.status, now, attempt.error
                    )
                )
            except Exception:  # the database is closing: the row stays pending, posted again
                log.exception("log_outcome_unrecorded", case=case_id, action=kind)
                return
            _log_action(attempt, kind, where)

        task = asyncio.create_task(record())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _call(
        self,
        platform: Platform,
        kind: str,
        params: Mapping[str, Any],
        community_id: str,
        user_id: str,
        reason: str,
        case_id: int | None,
    ) -> _Attempt:
        """One platform call under the FailureKind policy: retry what can be, classify the rest."""
        transient = rate_waits = 0
        while True:
            try:
                result = await _dispatch(
                    platform, kind, params, community_id, user_id, reason, case_id
                )
                return _Attempt(case_store.DONE, result=result)
            except PlatformError as exc:
                error = f"{exc.kind.value}: {exc.message}"
                if exc.kind is FailureKind.NOT_FOUND:
                    return _Attempt(case_store.DONE, error)  # already gone: nothing left to do
                if exc.kind is FailureKind.REFUSED:
                    return _Attempt(case_store.REFUSED, error)
                if exc.kind is FailureKind.FORBIDDEN:
                    await self._alert_forbidden(platform, community_id, kind, exc.message)
                    return _Attempt(case_store.FAILED, error)
                if exc.kind is FailureKind.RATE_LIMITED:
                    rate_waits += 1
                    if rate_waits > self.max_rate_limit_waits:
                        return _Attempt(case_store.PENDING, error)
                    await self.sleep(max(exc.retry_after or 1.0, 0.0))
                    continue
                if exc.kind is FailureKind.TRANSIENT:
                    transient += 1
                    if transient > self.transient_retries:
                        return _Attempt(case_store.PENDING, error)  # replayed at next start
                    await self.sleep(self.backoff * 2 ** (transient - 1))
                    continue
                return _Attempt(case_store.FAILED, error)
            except Exception as exc:  # an adapter bug must not lose the record of what happened
                log.exception("platform_call_crashed", action=kind, case=case_id)
                return _Attempt(case_store.FAILED, f"error: {type(exc).__name__}: {exc}")

    async def post_alert(
        self, platform_name: PlatformName | str, community_id: str, entry: LogEntry
    ) -> None:
        """Post an alert that belongs to no case (e.g. the scorer is down); failures are logged."""
        platform = self.platforms.get(str(platform_name))
        log.warning("alert", community=community_id, title=entry.title, body=entry.body)
        if platform is None:
            return
        try:
            await platform.post_log(community_id, entry)
        except PlatformError as exc:
            log.warning("alert_failed", community=community_id, error=exc.message)

    async def _alert_forbidden(
        self, platform: Platform, community_id: str, kind: str, message: str
    ) -> None:
        right = _RIGHT.get(kind, kind)
        key = (str(platform.name), community_id, right)
        if key in self._alerted or kind in ("alert", "log"):
            return  # one alert per community and missing right, not one per message
        self._alerted.add(key)
        language = self._languages.get((str(platform.name), community_id), "en")
        entry = LogEntry(
            title=t("log.forbidden_title", language),
            body=t("log.forbidden", language, right=right, error=message),
        )
        try:
            await platform.post_log(community_id, entry)
        except PlatformError as exc:
            log.warning("forbidden_alert_failed", community=community_id, error=exc.message)
        log.warning("permission_missing", community=community_id, right=right, error=message)

    # -- start-up and reversals ------------------------------------------------------------------

    async def left_pending(self) -> list[case_store.PendingAction]:
        """The actions pending now: at start, before any new case, what the last run left."""
        return await case_store.pending_actions(self.db)

    async def replay_pending(
        self, pending: Sequence[case_store.PendingAction] | None = None
    ) -> int:
        """Carry out, once, the actions a crash (or a missing platform) left pending.

        ``pending`` is ``left_pending()`` read before the platforms started (the app's way: a
        live case's posts are pending while they go out, and must not be sent twice); None reads
        them now. Each call is idempotent on the platforms (deleting twice is NOT_FOUND, muting
        twice extends nothing), so an action that did happen just before the crash does no harm.
        Returns how many actions were attempted.
        """
        if pending is None:
            pending = await self.left_pending()
        done = 0
        for p in pending:
            if p.platform not in self.platforms:
                continue
            case = await case_store.get_case(self.db, p.action.case_id)
            reason = case.reason if case else ""
            if p.action.kind in ("mute", "ban") and case is not None and case.pardoned_at:
                # Pardoned before it could be carried out: imposing it now would undo the pardon.
                async with self.db.transaction() as tx:
                    await case_store.mark_action(
                        tx, p.action.id, case_store.FAILED, self._now(), "case pardoned"
                    )
                continue
            if p.action.kind == "notice" and case is not None:
                status = next((a.status for a in case.actions if a.kind in NOTICE_MESSAGES), None)
                if status == case_store.PENDING:
                    continue  # its sanction is still waiting (its platform is not connected)
                ended = case.expires_at is not None and case.expires_at <= self._now()
                if status != case_store.DONE or ended or case.pardoned_at:
                    note = (
                        "not posted: the sanction was not carried out"
                        if status != case_store.DONE
                        else "not posted: the case was pardoned"
                        if case.pardoned_at
                        else "expired before replay"
                    )
                    async with self.db.transaction() as tx:
                        await case_store.mark_action(
                            tx,
                            p.action.id,
                            case_store.DONE if status == case_store.DONE else case_store.FAILED,
                            self._now(),
                            note,
                        )
                    continue
            if p.action.kind in ("mute", "ban"):
                until = from_ts(p.action.params.get("until"))
                if until is not None and until <= self._now():
                    # The sanction already ran out while we were down: nothing to impose.
                    async with self.db.transaction() as tx:
                        await case_store.mark_action(
                            tx, p.action.id, case_store.DONE, self._now(), "expired before replay"
                        )
                    continue
            await self._perform(
                p.action.id,
                p.action.kind,
                p.action.params,
                p.platform,
                p.community_id,
                p.user_id,
                reason,
                p.action.case_id,
            )
            done += 1
        if pending:
            log.info("pending_replayed", pending=len(pending), attempted=done)
        return done

    async def reverse(
        self, platform_name: str, community_id: str, user_id: str, kind: str, reason: str
    ) -> _Attempt:
        """Lift a mute or ban now (for the scheduler); the FailureKind policy applies."""
        platform = self.platforms.get(platform_name)
        if platform is None:
            return _Attempt(case_store.PENDING, "platform not connected")
        return await self._call(platform, kind, {}, community_id, user_id, reason, None)

    async def lift(
        self,
        platform: PlatformName,
        community_id: str,
        member: Author,
        kind: str,
        moderator: Author,
        reason: str,
        now: datetime,
        policy: Policy = Policy(),
    ) -> Outcome:
        """A moderator's unmute/unban: record a case with the action, cancel the scheduled reversal,
        then act."""
        if kind not in ("unmute", "unban"):
            raise ValueError(f"cannot lift {kind!r}")
        intent = Intent(
            platform,
            community_id,
            member,
            now,
            ActionSet(),
            "moderator",
            reason=reason,
            moderator=moderator,
        )
        async with self.db.transaction() as tx:
            cpk, mpk, case_id, (aid,) = await self._insert_moderator_case(
                tx, intent, [case_store.ActionIntent(kind, {})]
            )
            refused = await _record_lift(tx, cpk, mpk, aid, kind, moderator, member.id, policy, now)
        self._remember(intent, cpk, mpk)
        esc = escalate(0, 0, None, ())
        if refused is not None:
            return Outcome(case_id, esc, None, (ActionOutcome(aid, kind, "refused"),), refused)
        outcome = await self._perform(
            aid, kind, {}, str(platform), community_id, member.id, reason, case_id
        )
        return Outcome(case_id, esc, None, (outcome,))

    async def run_moderator_case(
        self, intent: Intent, planned: Sequence[case_store.ActionIntent]
    ) -> tuple[int, list[ActionOutcome]]:
        """Record a moderator's case with exactly these actions (intent first), then carry each out."""
        async with self.db.transaction() as tx:
            cpk, mpk, case_id, action_ids = await self._insert_moderator_case(tx, intent, planned)
        self._remember(intent, cpk, mpk)
        outcomes = [
            await self._perform_for(intent, intent.reason, case_id, aid, act)
            for aid, act in zip(action_ids, planned, strict=True)
        ]
        return case_id, outcomes

    async def _insert_moderator_case(
        self, tx: Tx, intent: Intent, planned: Sequence[case_store.ActionIntent]
    ) -> tuple[int, int, int, list[int]]:
        """A case by ``intent.moderator`` with no sanction of its own: (community, member, case, actions)."""
        moderator = intent.moderator
        assert moderator is not None
        cpk, mpk = await self._member_pks(tx, intent)
        case_id, action_ids = await case_store.insert_case(
            tx,
            case_store.NewCase(
                cpk,
                mpk,
                "moderator",
                intent.now,
                moderator_id=moderator.id,
                moderator_name=moderator.name,
                reason=intent.reason,
                channel_id=intent.channel_id,
            ),
            planned,
        )
        return cpk, mpk, case_id, action_ids

    async def pardon(
        self,
        case_id: int,
        moderator: Author,
        now: datetime,
        reason: str | None = None,
        policy: Policy = Policy(),
    ) -> Pardon:
        """Pardon a case: its strikes stop counting, and its own mute or ban, if still in force, is
        lifted (``case_store.sanction_in_force`` says which case's is; a later case's stays).

        The lift is recorded like ``lift`` records one (a moderator case with the unmute/unban,
        committed with the pardon and the cancelled reversal, then carried out; refused when
        ``lift`` would be). A platform failure leaves the pardon recorded.
        """
        async with self.db.transaction() as tx:
            if not await case_store.pardon_case(tx, case_id, moderator.id, now, reason):
                log.info("case_pardoned", case=case_id, by=moderator.id, ok=False)
                return Pardon(False)
            case = await case_store.get_case(tx, case_id)
            assert case is not None
            kind = case.sanction if case.sanction in ("mute", "ban") else None
            in_force = (
                await case_store.sanction_in_force(tx, case.member_pk, kind, now) if kind else None
            )
            lifting = "un" + kind if kind is not None and in_force == case.id else None
            lift_case = aid = None
            refused: Refused | None = None
            why = t("cmd.pardon_lift_reason", policy.language, case=case.id)
            why += f": {reason}" if reason else ""
            if lifting is not None:
                lift_case, (aid,) = await case_store.insert_case(
                    tx,
                    case_store.NewCase(
                        case.community_pk,
                        case.member_pk,
                        "moderator",
                        now,
                        moderator_id=moderator.id,
                        moderator_name=moderator.name,
                        reason=why,
                    ),
                    [case_store.ActionIntent(lifting, {})],
                )
                refused = await _record_lift(
                    tx,
                    case.community_pk,
                    case.member_pk,
                    aid,
                    lifting,
                    moderator,
                    case.user_id,
                    policy,
                    now,
                )
        kept = in_force if in_force is not None and in_force != case.id else None
        log.info(
            "case_pardoned",
            case=case_id,
            by=moderator.id,
            ok=True,
            lift=lifting,
            lift_case=lift_case,
            kept=kept,
            refused=refused.reason if refused else None,
        )
        if lifting is None or lift_case is None or aid is None:
            return Pardon(True, kind, kept_case_id=kept)
        if refused is not None:
            action = ActionOutcome(aid, lifting, case_store.REFUSED, refused.detail)
            return Pardon(True, kind, lift_case, action, refused)
        action = await self._perform(
            aid,
            lifting,
            {},
            case.platform,
            case.community_id,
            case.user_id,
            why,
            lift_case,
        )
        return Pardon(True, kind, lift_case, action)


async def _record_lift(
    tx: Tx,
    cpk: int,
    mpk: int,
    action_id: int,
    kind: str,
    moderator: Author,
    member_id: str,
    policy: Policy,
    now: datetime,
) -> Refused | None:
    """In the transaction that recorded an unmute/unban: refuse it (marked so) when the moderator
    may not act, else cancel the scheduled reversal it makes pointless. The refusal, or None."""
    verdict = can_act(
        Subject(moderator.id, privilege_of(moderator, policy.moderator_roles)),
        Subject(member_id, Privilege.MEMBER),  # lifting a sanction never harms the target
    )
    if isinstance(verdict, Refused):
        await case_store.mark_action(tx, action_id, case_store.REFUSED, now, verdict.detail)
        return verdict
    await reversal_store.cancel(tx, cpk, mpk, kind, now)
    return None


def _log_action(attempt: _Attempt, kind: str, where: tuple[str, str, str, int]) -> None:
    """One line in the bot's log for an action's recorded outcome."""
    platform_name, community_id, user_id, case_id = where
    log.info(
        "action_" + attempt.status,
        case=case_id,
        action=kind,
        platform=platform_name,
        community=community_id,
        member=user_id,
        error=attempt.error,
    )


def render_template(template: str, **values: str) -> str:
    """Fill a rules-file template; placeholders without a value are left empty."""
    fields = {"member": "", "community": "", "rule": "", "reason": "", "duration": ""}
    fields.update(values)
    for key, value in fields.items():
        template = template.replace("{" + key + "}", value)
    return template


def _log_attempt(result: LogResult) -> _Attempt:
    """A log entry's outcome as an action's: done when posted (its note, e.g. summarised, kept),
    failed when the queue gave it up."""
    return _Attempt(case_store.DONE if result.posted else case_store.FAILED, result.note)


def _until(sanction: Sanction | None, now: datetime) -> datetime | None:
    if isinstance(sanction, Mute):
        return now + sanction.duration
    if isinstance(sanction, Ban) and sanction.duration is not None:
        return now + sanction.duration
    return None


async def _dispatch(
    platform: Platform,
    kind: str,
    params: Mapping[str, Any],
    community_id: str,
    user_id: str,
    reason: str,
    case_id: int | None,
) -> object:
    """Turn a recorded action back into the platform call (the same path live and at replay)."""
    if kind == "delete":
        ref = MessageRef(platform.name, community_id, params["channel_id"], params["message_id"])
        await platform.delete_message(ref, reason)
        return None
    if kind in ("warn", "notice", "reply"):
        if not params.get("channel_id"):
            return None  # e.g. a warn by command without a channel: recorded, nothing to post
        return await platform.send_message(
            community_id,
            params["channel_id"],
            post_text(params, case_id, platform.appeal_hint),
            params.get("reply_to"),
            params.get("thread_id"),  # absent from rows recorded before topics were kept
        )
    if kind == "mute":
        until = from_ts(params["until"])
        assert until is not None
        return await platform.mute(community_id, user_id, until, reason)
    if kind == "unmute":
        await platform.unmute(community_id, user_id, reason)
        return None
    if kind == "kick":
        await platform.kick(community_id, user_id, reason)
        return None
    if kind == "ban":
        await platform.ban(
            community_id,
            user_id,
            from_ts(params.get("until")),
            reason,
            int(params.get("delete_message_seconds", 0)),
        )
        return None
    if kind == "unban":
        await platform.unban(community_id, user_id, reason)
        return None
    if kind in ("alert", "log"):
        entry = LogEntry(
            title=str(params.get("title", kind)),
            body=str(params.get("body", "")),
            case_id=case_id,
            rule_ids=tuple(params.get("rule_ids", ())),
            member_id=str(params.get("member_id", user_id)),
            member_name=str(params.get("member_name", "")),
            excerpt=str(params.get("excerpt", "")),
            link=params.get("link"),
            shadow=bool(params.get("shadow", False)),
            kind=str(params.get("kind", "")),
        )
        return await platform.post_log(community_id, entry)  # a LogReceipt when only queued
    raise PlatformError(FailureKind.INVALID, f"unknown action kind {kind!r}")
