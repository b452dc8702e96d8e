"""The one orchestration: neutral event → engine decision → escalation → executor (record, act)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog

from bot.events import Event, MemberJoin, Message, PlatformName
from bot.i18n import t
from bot.moderation.executor import Clock, Executor, Intent, Outcome, Policy, render_template
from bot.moderation.scoring import (
    LoadedScorer,
    ScorerChange,
    ScorerLoader,
    ScorerLoadFailed,
    UnavailableScorer,
    describe,
    scorer_key,
)
from bot.platforms.base import LogEntry, PlatformError
from bot.rules import Decision, Engine, EvalContext, History, RuleSet
from bot.rules.actions import ActionSet, merge_all
from bot.storage import Database, SyncConn, utcnow
from bot.storage import members as member_store

log = structlog.get_logger("bot.moderation.pipeline")

Scorer = Callable[[str], Awaitable[Mapping[str, float]]]

# How long a scorer swapped out by a reload may go on answering the calls it already had before it
# is closed (a BatchingScorer answers or times out within its own 2 s timeout).
RETIRE_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class Handled:
    """What the pipeline did with a message: the decision, and the case if one was recorded."""

    decision: Decision
    outcome: Outcome | None


def policy_of(ruleset: RuleSet) -> Policy:
    """The executor's policy from a rule set."""
    return Policy(
        ladder=tuple(ruleset.escalation.ladder),
        strikes_expire=ruleset.escalation.strikes_expire,
        moderator_roles=frozenset(ruleset.roles.moderators),
        language=ruleset.community.language,
        community_name=ruleset.community.name or "",
    )


class Pipeline:
    """Feeds events through the current rules; adapters call ``handle`` for every event.

    The rule set can be swapped at run time with ``reload_rules`` (the /reload command), together
    with the toxicity scorer its settings need; messages in flight finish with the rules and the
    scorer they started with.

    The scorer is either fixed (``scorer``: any async callable, as tests and tools pass) or loaded
    from the rules' settings (``toxicity``, with the ``scorer_loader`` that ``reload_rules`` uses
    to load another one when a reload changes them).
    """

    def __init__(
        self,
        db: Database,
        executor: Executor,
        ruleset: RuleSet,
        engine: Engine | None = None,
        *,
        clock: Clock = utcnow,
        scorer: Scorer | None = None,
        toxicity: LoadedScorer | None = None,
        scorer_loader: ScorerLoader | None = None,
        history: History | None = None,
        wait_for_scores: bool = False,
    ) -> None:
        if scorer is not None and toxicity is not None:
            raise ValueError("pass either a fixed scorer or a loaded one (toxicity), not both")
        self.db = db
        # False (a live bot): rules that need no toxicity score are decided and carried out at once,
        # and toxicity rules follow in a background task, so a slow scorer never delays a word rule.
        # True (the playground): wait for the score and decide everything together.
        self.wait_for_scores = wait_for_scores
        # A live bot posts warnings and log entries after the delete and the sanction, in the
        # background, so they never hold up the member's next message (see Executor.execute).
        self.follow_up = not wait_for_scores
        self._background: set[asyncio.Task[None]] = set()
        self.executor = executor
        self.clock = clock
        # The loaded scorer and the settings it was loaded for (None: fixed or no scorer).
        self.toxicity = toxicity
        self.scorer_loader = scorer_loader
        self.scorer = toxicity.scorer.score if toxicity is not None else scorer
        # id(scorer) → calls that started with it and have not had their answer yet (see _retire);
        # by id: a test's scorer may be an unhashable object.
        self._scorer_users: Counter[int] = Counter()
        self._released = asyncio.Event()  # set when a scorer's last such call is answered
        self._reloading = asyncio.Lock()
        self.history = history if history is not None else History()
        self._first_seen: dict[tuple[str, str], datetime] = {}
        self._known: set[tuple[str, str, str]] = set()
        # Communities told that scoring is down; cleared when scoring works again (one alert per outage).
        self._scorer_outage: set[tuple[str, str]] = set()
        self.reload(ruleset, engine)

    def reload(self, ruleset: RuleSet, engine: Engine | None = None) -> None:
        """Use a new rule set from now on, with the same scorer (see ``reload_rules``)."""
        self.ruleset = ruleset
        self.engine = engine if engine is not None else Engine(ruleset)
        self.policy = policy_of(ruleset)
        # Keep what the longest rate/duplicates window of these rules needs, as replay does: less
        # memory per member, and the feature bounds (recent and same-text messages) stay tight.
        self.history.max_window = max(self.engine.history_window, timedelta(minutes=1))

    async def reload_rules(self, ruleset: RuleSet, engine: Engine) -> ScorerChange:
        """Use a new rule set and the toxicity scorer its settings need, swapped in together.

        With a ``scorer_loader``, a scorer is loaded (in a thread) only when the settings it is
        loaded for (``toxicity.backend`` and, for detoxify, ``model``) change, when rules now need
        scores and none is loaded, or when the running one had failed to load (a reload retries
        it); when no rule needs scores any more it is closed. Unchanged settings keep the same
        scorer object. A scorer that cannot be loaded raises ``ScorerLoadFailed`` and changes
        nothing: the old rules and the old scorer stay. Only when the running scorer had failed to
        load too are the new rules used, with an ``UnavailableScorer`` as at start-up. The scorer
        swapped out is closed once the calls already made to it have their answer.
        """
        async with self._reloading:
            old, old_fn = self.toxicity, self.scorer
            key = scorer_key(ruleset, engine.needs_scores)
            loader = self.scorer_loader
            working = old is None or old.error is None
            if loader is None or (key == (old.key if old else None) and working):
                self.reload(ruleset, engine)
                return ScorerChange("kept", key)
            new: LoadedScorer | None = None
            change = ScorerChange("stopped")
            if key is not None:
                try:
                    new = LoadedScorer(key, await asyncio.to_thread(loader, key))
                    change = ScorerChange("loaded", key)
                except Exception as exc:  # any load failure: refuse, or stay unavailable
                    error = str(exc) or type(exc).__name__
                    log.warning("reload_scorer_failed", scorer=describe(key), error=error)
                    if working:
                        raise ScorerLoadFailed(key, error) from exc
                    new = LoadedScorer(key, UnavailableScorer(error), error=error)
                    change = ScorerChange("unavailable", key, error)
            # One step, no await: the next message sees the new rules and the new scorer together.
            self.toxicity = new
            self.scorer = new.scorer.score if new is not None else None
            self.reload(ruleset, engine)
            log.info("scorer_swapped", change=change.kind, scorer=describe(key) if key else None)
            if old is not None and old_fn is not None:
                await self._retire(old, old_fn)
            return change

    async def _retire(self, old: LoadedScorer, fn: Scorer) -> None:
        """Close a scorer swapped out, once the calls that started with it are answered."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RETIRE_WAIT):
                while self._scorer_users.get(id(fn)):
                    self._released.clear()
                    await self._released.wait()
        try:
            await old.scorer.aclose()
        except Exception:  # a scorer that fails to close must not fail the reload
            log.exception("scorer_close_failed", scorer=describe(old.key))

    async def close_scorer(self) -> None:
        """At shutdown: close the loaded scorer (a fixed one belongs to whoever passed it)."""
        async with self._reloading:
            if self.toxicity is not None:
                await self.toxicity.scorer.aclose()

    def _acquire(self, scorer: Scorer) -> None:
        self._scorer_users[id(scorer)] += 1

    def _release(self, scorer: Scorer) -> None:
        self._scorer_users[id(scorer)] -= 1
        if self._scorer_users[id(scorer)] <= 0:
            del self._scorer_users[id(scorer)]
            self._released.set()

    async def handle(self, event: Event) -> Handled | None:
        """Process one neutral event; returns the decision for messages (None when skipped)."""
        if isinstance(event, Message):
            return await self.on_message(event)
        if isinstance(event, MemberJoin):
            await self.on_join(event)
        return None

    async def on_join(self, join: MemberJoin) -> None:
        """Record the member and when they joined (first seen, for account/member age)."""
        m = join.member
        async with self.db.transaction() as tx:
            cpk = await member_store.ensure_community(
                tx, str(join.platform), join.community_id, join.community_name, join.timestamp
            )
            await member_store.ensure_member(
                tx,
                cpk,
                m.id,
                m.name,
                join.timestamp,
                username=m.username,
                joined_at=m.joined_at or join.timestamp,
            )
        self._known.add((str(join.platform), join.community_id, m.id))
        self._first_seen.setdefault((str(join.platform), m.id), join.timestamp)
        log.info(
            "member_joined", platform=str(join.platform), community=join.community_id, member=m.id
        )
        await self._welcome(join)

    async def _welcome(self, join: MemberJoin) -> None:
        """Post the community's welcome template, in its language, where the platform welcomes."""
        community = self.ruleset.community
        if not community.welcome or not join.channel_id or join.member.is_bot:
            return
        text = render_template(
            community.welcome,
            member=join.member.name,
            community=community.name or join.community_name,
        )
        platform = self.executor.platforms.get(str(join.platform))
        if platform is None:
            return
        try:
            await platform.send_message(join.community_id, join.channel_id, text)
        except PlatformError as exc:
            log.warning("welcome_failed", community=join.community_id, error=exc.message)

    async def _remember(self, message: Message) -> Message:
        """Record a member on first sight; on Telegram, first-seen stands in for account age."""
        key = (str(message.platform), message.community_id, message.author.id)
        if key not in self._known:
            a = message.author

            def first_sight(conn: SyncConn) -> tuple[int, int, datetime | None]:
                # One body in the group commit: a burst of new members costs one trip to the
                # database thread and one commit, and never holds the writer for a whole await.
                cpk, mpk = member_store.ensure_author_sync(
                    conn, key[0], key[1], message.community_name, a, message.timestamp
                )
                return cpk, mpk, member_store.first_seen_sync(conn, key[0], a.id)

            cpk, mpk, seen = await self.db.write(first_sight)
            self.executor.remember_member(message.platform, message.community_id, a, cpk, mpk)
            if len(self._known) > 200_000:
                # bounded memory; the database remembers
                self._known.clear()
                self._first_seen.clear()
            if seen is not None:
                self._first_seen[(key[0], a.id)] = seen
            self._known.add(key)
        if message.platform is PlatformName.TELEGRAM and message.author.created_at is None:
            seen = self._first_seen.get((key[0], message.author.id))
            if seen is not None:
                return replace(message, author=replace(message.author, created_at=seen))
        return message

    async def on_message(self, message: Message) -> Handled | None:
        """Decide one message and, if rules fired, record and carry out the case."""
        if message.author.is_bot:
            return None  # bots (this one included) are never moderated, edits of theirs neither
        message = await self._remember(message)
        engine, ruleset, policy, scorer = self.engine, self.ruleset, self.policy, self.scorer
        now = self.clock()
        needs_scores = engine.needs_scores and scorer is not None and bool(message.text.strip())
        if scorer is not None and needs_scores and not self.wait_for_scores:
            decision = engine.decide(message, EvalContext(now=now, history=self.history))
            outcome = None
            if decision.matches:
                outcome = await self.executor.execute(
                    intent_from(decision, now, ruleset), policy, follow_up=self.follow_up
                )
            if not decision.enforced:
                self._acquire(scorer)
                task = asyncio.create_task(
                    self._score_later(message, now, decision, engine, ruleset, policy, scorer)
                )
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            return Handled(decision, outcome)
        scores: Mapping[str, float] | None = None
        error: str | None = None
        if scorer is not None and needs_scores:
            self._acquire(scorer)
            try:
                scores, error = await self._score(message, scorer)
            finally:
                self._release(scorer)
        decision = engine.decide(
            message,
            EvalContext(
                now=now, history=self.history, scores=scores, scorer_failed=error is not None
            ),
        )
        if error is not None:
            held = await self._scorer_failed(decision, now, error, ruleset, policy)
            if held is not None:
                return held
        if not decision.matches:
            return Handled(decision, None)
        outcome = await self.executor.execute(
            intent_from(decision, now, ruleset), policy, follow_up=self.follow_up
        )
        return Handled(decision, outcome)

    async def _score(
        self, message: Message, scorer: Scorer
    ) -> tuple[Mapping[str, float] | None, str | None]:
        """The message's scores, or the error that kept us from getting them."""
        try:
            scores = await scorer(message.text)
        except Exception as exc:  # the on_error policy in the rules decides what this means
            error = str(exc) or type(exc).__name__
            log.warning("scorer_failed", message=message.message_id, error=error)
            return None, error
        self._scorer_outage.discard((str(message.platform), message.community_id))
        return scores, None

    async def _scorer_failed(
        self, decision: Decision, now: datetime, error: str, ruleset: RuleSet, policy: Policy
    ) -> Handled | None:
        """Apply ``toxicity.on_error``: hold the message, or alert once per outage and go on."""
        message = decision.message
        if ruleset.toxicity.on_error == "hold":
            return await self._hold(decision, now, error, ruleset, policy)
        outage_key = (str(message.platform), message.community_id)
        if outage_key not in self._scorer_outage:
            self._scorer_outage.add(outage_key)
            await self.executor.post_alert(
                message.platform,
                message.community_id,
                LogEntry(
                    title=t("log.scorer_failed_title", policy.language),
                    body=t("log.scorer_failed", policy.language, error=error),
                ),
            )
        return None

    async def _score_later(
        self,
        message: Message,
        now: datetime,
        first: Decision,
        engine: Engine,
        ruleset: RuleSet,
        policy: Policy,
        scorer: Scorer,
    ) -> None:
        """Second pass for a message no enforced rule acted on: the rules that need scores, with
        the rules and scorer of the first pass (``scorer`` was acquired for this task)."""
        try:
            try:
                scores, error = await self._score(message, scorer)
            finally:
                self._release(scorer)
            if error is not None:
                await self._scorer_failed(first, now, error, ruleset, policy)
                return
            # No history: the first pass already counted this message for rate and duplicates.
            full = engine.decide(message, EvalContext(now=now, scores=scores))
            fired = {m.rule_id for m in first.matches}
            late = tuple(
                m
                for m in full.matches
                if m.rule_id in engine.scored_rules and m.rule_id not in fired
            )
            if not late:
                return
            decision = Decision(
                message,
                full.nt,
                late,
                merge_all(m.actions for m in late if m.mode == "enforce"),
                merge_all(m.actions for m in late if m.mode == "shadow"),
            )
            await self.executor.execute(
                intent_from(decision, now, ruleset), policy, follow_up=self.follow_up
            )
        except Exception:  # a background failure must be logged, never lost silently
            log.exception("toxicity_pass_failed", message=message.message_id)

    async def drain(self) -> None:
        """Wait for background toxicity passes and the posts still going out (callers bound it
        with ``asyncio.timeout``)."""
        while self._background:
            await asyncio.wait(set(self._background))
        await self.executor.drain()

    async def _hold(
        self, decision: Decision, now: datetime, error: str, ruleset: RuleSet, policy: Policy
    ) -> Handled:
        """``toxicity.on_error: hold``: delete the message and alert moderators to review it."""
        held = t("log.held", policy.language, member=decision.message.author.name, error=error)
        intent = intent_from(decision, now, ruleset)
        intent = replace(
            intent,
            actions=intent.actions.merge(ActionSet(delete=True, alert=True)),
            reason="; ".join(r for r in (intent.reason, held) if r),
        )
        outcome = await self.executor.execute(intent, policy, follow_up=self.follow_up)
        return Handled(decision, outcome)


def intent_from(decision: Decision, now: datetime, ruleset: RuleSet | None = None) -> Intent:
    """The executor's intent for a decision with matches."""
    msg = decision.message
    enforced, shadow = decision.enforced, decision.shadow
    reasons = [m.description for m in (enforced or shadow)]
    evidence: list[dict[str, Any]] = [
        {
            "rule": m.rule_id,
            "mode": m.mode,
            "condition": m.condition,
            "span": list(m.span) if m.span else None,
            "matched": m.matched,
        }
        for m in decision.matches
    ]
    return Intent(
        platform=msg.platform,
        community_id=msg.community_id,
        member=msg.author,
        now=now,
        actions=decision.actions,
        source="rules",
        rule_ids=tuple(m.rule_id for m in enforced),
        shadow_rule_ids=tuple(m.rule_id for m in shadow),
        shadow_alert=decision.shadow_actions.alert,
        reason="; ".join(dict.fromkeys(reasons)),
        channel_id=msg.channel.id,
        thread_id=msg.channel.thread_id,
        message_id=msg.message_id,
        message_text=msg.text,
        link=msg.link,
        normalized=decision.normalized,
        evidence=evidence,
        community_name=msg.community_name or (ruleset.community.name if ruleset else ""),
    )
