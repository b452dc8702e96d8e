"""Replay report: the rules over exported history, with a simulated clock and escalation."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from bot import heap
from bot.events import Message
from bot.replay.partition import Elsewhere, Part, part_of
from bot.replay.problems import ReadProblem, ReadStats
from bot.replay.readers import iter_exports

if TYPE_CHECKING:
    from bot.rules import Decision, RuleSet

SANCTION_KINDS = ("warn", "mute", "kick", "ban")
_FOREVER = datetime.max.replace(tzinfo=UTC)  # a permanent ban
_MAX_PROBLEMS_KEPT = 200  # problems listed in the report; the count is always exact
_SCORE_BATCH = 256


class DecidingEngine(Protocol):
    """What the report needs from ``bot.rules.Engine`` (a protocol, so tests can pass a fake)."""

    needs_scores: bool
    history_window: timedelta

    @property
    def rule_ids(self) -> list[str]: ...

    def decide(self, message: Message, ctx: Any) -> Decision: ...


class ScoreModel(Protocol):
    """A blocking toxicity model (``bot.toxicity.load_model``)."""

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


@dataclass(slots=True)
class RuleReport:
    """What one rule would have done over the replayed history."""

    rule_id: str
    mode: str
    description: str
    matched: int = 0  # messages, not matches
    members: set[tuple[str, str, str]] = field(default_factory=set)
    samples: list[dict[str, Any]] = field(default_factory=list)
    _sampled: set[str] = field(default_factory=set)
    # Position in the input stream of each sample (the same in every worker: all read everything).
    sample_order: list[int] = field(default_factory=list)

    def to_json(self, messages: int) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "members": len(self.members),
            "mode": self.mode,
            "share": round(self.matched / messages, 6) if messages else 0.0,
            "description": self.description,
            "samples": self.samples,
        }


@dataclass(slots=True)
class _Offender:
    """A member's simulated strikes and the time until which they could not post."""

    strikes: list[tuple[datetime, int, datetime | None]] = field(default_factory=list)
    blocked_until: datetime | None = None

    def active(self, now: datetime) -> int:
        self.strikes = [s for s in self.strikes if s[2] is None or s[2] > now]
        return sum(count for _, count, _ in self.strikes)


@dataclass(slots=True)
class ReplayReport:
    """The whole replay: per-rule counts and samples, the simulated sanctions, read problems."""

    rules: dict[str, RuleReport]
    stats: ReadStats
    sanctions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SANCTION_KINDS, 0))
    sanctioned: dict[str, set[tuple[str, str, str]]] = field(
        default_factory=lambda: {k: set() for k in SANCTION_KINDS}
    )
    deleted: int = 0
    alerts: int = 0
    while_sanctioned: int = 0  # matched messages sent while the member would have been muted/banned
    problems: list[ReadProblem] = field(default_factory=list)
    elapsed: float = 0.0
    ladder: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.stats.messages

    def to_json(self) -> dict[str, Any]:
        """The ``replay --json`` object of interfaces.md (plus a few extra keys)."""
        n = self.messages
        return {
            "messages": n,
            "skipped": self.stats.skipped,
            "rules": {rid: r.to_json(n) for rid, r in self.rules.items()},
            "sanctions": dict(self.sanctions),
            "sanctioned_members": {k: len(v) for k, v in self.sanctioned.items()},
            "actions": {"delete": self.deleted, "alert": self.alerts},
            "skipped_by_reason": {"service": self.stats.service, "bot": self.stats.bots},
            "problems": [str(p) for p in self.problems],
            "problem_count": self.stats.problems,
            "files": self.stats.formats,
        }


def _member_key(message: Message) -> tuple[str, str, str]:
    return (str(message.platform), message.community_id, message.author.id)


def member_part(message: Message, parts: int) -> int:
    """Which of ``parts`` workers replays this message's member (stable across processes)."""
    return part_of(message.platform, message.community_id, message.author.id, parts)


_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))


def _as_sent(message: Message) -> Message:
    """The message with ``edited`` False (``dataclasses.replace`` without its per-call checks)."""
    values = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
    values["edited"] = False
    return Message(**values)


def merge_reports(reports: Sequence[ReplayReport], samples: int) -> ReplayReport:
    """Add up the reports of workers that replayed disjoint sets of members of the same exports.

    Every worker read the same input, so read counts and problems come from the first one; the
    samples kept are the earliest distinct texts over all workers, as one process would keep them.
    """
    first = reports[0]
    merged = ReplayReport(rules={}, stats=first.stats, ladder=first.ladder)
    merged.problems = first.problems
    merged.elapsed = max(r.elapsed for r in reports)
    for report in reports:
        merged.deleted += report.deleted
        merged.alerts += report.alerts
        merged.while_sanctioned += report.while_sanctioned
        for kind, count in report.sanctions.items():
            merged.sanctions[kind] = merged.sanctions.get(kind, 0) + count
            merged.sanctioned.setdefault(kind, set()).update(report.sanctioned.get(kind, ()))
        for rid, rule in report.rules.items():
            into = merged.rules.setdefault(rid, RuleReport(rid, rule.mode, rule.description))
            into.matched += rule.matched
            into.members |= rule.members
            into.samples.extend(rule.samples)
            into.sample_order.extend(rule.sample_order)
    for rule in merged.rules.values():
        seen: set[str] = set()
        kept: list[dict[str, Any]] = []
        kept_order: list[int] = []
        for order, sample in sorted(
            zip(rule.sample_order, rule.samples, strict=True), key=lambda x: x[0]
        ):
            fingerprint = " ".join(str(sample["text"]).casefold().split())
            if fingerprint not in seen and len(kept) < samples:
                seen.add(fingerprint)
                kept.append(sample)
                kept_order.append(order)
        rule.samples, rule.sample_order = kept, kept_order
    return merged


class Replayer:
    """Feeds messages, in their original order, through an engine with ``now`` = message time.

    Escalation is simulated like the executor does it: the merged strikes of enforced rules are
    added to the member's active strikes, the ladder step crossed (or the rules' own sanction, the
    harsher one) is the sanction. A member who would have been muted or banned could not have
    posted until it ended, so their messages in that time count for the rules but do not escalate
    again. Members with a ``roles.moderators`` role are never sanctioned (the executor refuses).
    """

    def __init__(
        self,
        engine: DecidingEngine,
        ruleset: RuleSet | None = None,
        *,
        samples: int = 5,
        model: ScoreModel | None = None,
        stats: ReadStats | None = None,
        part: int = 0,
        parts: int = 1,
    ) -> None:
        from bot.rules import History

        self.engine = engine
        # With parts > 1 this replayer decides only the members that hash to ``part``: all replay
        # state (history, strikes, sanctions) is per member, so the parts add up exactly.
        self.part, self.parts = part, max(1, parts)
        self.samples = max(0, samples)
        self.model = model if engine.needs_scores else None
        self.history = History(max_window=max(engine.history_window, timedelta(minutes=1)))
        ladder = tuple(ruleset.escalation.ladder) if ruleset is not None else ()
        self.ladder = ladder
        self.strikes_expire = ruleset.escalation.strikes_expire if ruleset is not None else None
        self.moderator_roles = tuple(ruleset.roles.moderators) if ruleset is not None else ()
        descriptions: dict[str, tuple[str, str]] = {}
        if ruleset is not None:
            descriptions = {r.id: (r.mode, r.description or r.id) for r in ruleset.rules}
        self.report = ReplayReport(
            rules={
                rid: RuleReport(rid, *descriptions.get(rid, ("enforce", rid)))
                for rid in engine.rule_ids
            },
            stats=stats if stats is not None else ReadStats(),
            ladder=[_describe_step(s) for s in ladder],
        )
        self._offenders: dict[tuple[str, str, str], _Offender] = {}
        self._seq = 0

    def run(
        self, items: Iterable[Message | ReadProblem | Elsewhere], tick: Any = None
    ) -> ReplayReport:
        """Consume a reader stream; ``tick()`` is called every few thousand messages.

        ``Elsewhere`` markers (messages of members another worker replays, see
        ``bot.replay.partition``) count as messages but are not decided.
        """
        started = time.perf_counter()
        batch: list[tuple[int, Message]] = []
        n = 0
        for item in items:
            if not isinstance(item, Message):
                if isinstance(item, ReadProblem):
                    if len(self.report.problems) < _MAX_PROBLEMS_KEPT:
                        self.report.problems.append(item)
                    continue
                n += 1  # Elsewhere
                if tick is not None and not n & 2047:
                    tick()
                continue
            n += 1
            self._seq = n
            if tick is not None and not n & 2047:
                tick()
            if self.parts > 1 and member_part(item, self.parts) != self.part:
                continue
            if self.model is None:
                self.feed(item)
                continue
            batch.append((n, item))
            if len(batch) >= _SCORE_BATCH:
                self._feed_scored(batch)
                batch = []
        if batch:
            self._feed_scored(batch)
        self.report.elapsed = time.perf_counter() - started
        return self.report

    def _feed_scored(self, batch: list[tuple[int, Message]]) -> None:
        assert self.model is not None
        texts = [m.text for _, m in batch if m.text.strip()]
        try:
            scored = iter(self.model.predict(texts)) if texts else iter(())
        except Exception:
            for seq, m in batch:
                self._seq = seq
                self.feed(m, None, failed=True)
            return
        for seq, m in batch:
            self._seq = seq
            self.feed(m, next(scored, None) if m.text.strip() else None)

    def feed(
        self, message: Message, scores: dict[str, float] | None = None, *, failed: bool = False
    ) -> Decision:
        """Decide one message at its own time and account for what would have happened."""
        from bot.rules import EvalContext

        ctx = EvalContext(
            now=message.timestamp, history=self.history, scores=scores, scorer_failed=failed
        )
        # An export holds each message once, in its final text: for the engine it is a message
        # being sent (live, an edit is not recorded again in the rate/duplicates history).
        decision = self.engine.decide(_as_sent(message) if message.edited else message, ctx)
        if decision.matches:
            self._account(message, decision)
        return decision

    def _account(self, message: Message, decision: Decision) -> None:
        report = self.report
        key = _member_key(message)
        seen: set[str] = set()
        for m in decision.matches:
            if m.rule_id in seen:
                continue  # counts are messages, not matches
            seen.add(m.rule_id)
            rule = report.rules.get(m.rule_id)
            if rule is None:
                rule = report.rules[m.rule_id] = RuleReport(m.rule_id, m.mode, m.description)
            rule.matched += 1
            rule.members.add(key)
            if len(rule.samples) < self.samples:
                self._sample(rule, message, decision, m)
        actions = decision.actions
        if actions.empty:
            return
        now = message.timestamp
        offender = self._offenders.get(key)
        if offender is not None and offender.blocked_until is not None:
            if now < offender.blocked_until:
                report.while_sanctioned += 1
                return
            offender.blocked_until = None
        if actions.delete:
            report.deleted += 1
        if actions.alert:
            report.alerts += 1
        if not actions.strikes and actions.sanction is None:
            return
        from bot.moderation.escalation import escalate, strike_expiry

        if offender is None:
            offender = self._offenders[key] = _Offender()
        before = offender.active(now) if actions.strikes else 0
        esc = escalate(before, actions.strikes, actions.sanction, self.ladder)
        if actions.strikes:
            offender.strikes.append((now, actions.strikes, strike_expiry(now, self.strikes_expire)))
        sanction = esc.sanction
        if sanction is None or self._is_moderator(message):
            return
        kind = _kind(sanction)
        report.sanctions[kind] += 1
        report.sanctioned[kind].add(key)
        duration = getattr(sanction, "duration", None)
        if kind == "mute" and duration is not None:
            offender.blocked_until = now + duration
        elif kind == "ban":
            offender.blocked_until = now + duration if duration is not None else _FOREVER

    def _is_moderator(self, message: Message) -> bool:
        from bot.moderation.permissions import Privilege, privilege_of

        return privilege_of(message.author, self.moderator_roles) >= Privilege.MODERATOR

    def _sample(self, rule: RuleReport, message: Message, decision: Decision, m: Any) -> None:
        # Distinct texts only, so one flood does not fill every sample slot.
        fingerprint = " ".join(message.text.casefold().split())
        if fingerprint in rule._sampled:
            return
        rule._sampled.add(fingerprint)
        rule.sample_order.append(self._seq)
        original: tuple[int, int] | None = None
        if m.span is not None:
            try:
                original = decision.nt.original_span(*m.span)
            except Exception:
                original = None
        rule.samples.append(
            {
                "text": message.text,
                "normalized": decision.normalized,
                "condition": m.condition,
                "span": list(m.span) if m.span is not None else None,
                "original_span": list(original) if original is not None else None,
                "matched": m.matched,
                "member": message.author.id,
                "name": message.author.name,
                "platform": str(message.platform),
                "community": message.community_name or message.community_id,
                "channel": message.channel.name or message.channel.id,
                "message_id": message.message_id,
                "timestamp": message.timestamp.isoformat(),
                "link": message.link,
                "file": message.extra.get("file"),
                "attachments": [a.filename or a.kind for a in message.attachments],
            }
        )


def _kind(sanction: Any) -> str:
    return type(sanction).__name__.lower()


def _describe_step(step: Any) -> str:
    sanction = step.sanction
    duration = getattr(sanction, "duration", None)
    from bot.rules.durations import format_duration

    word = _kind(sanction)
    if duration is not None:
        word += f" {format_duration(duration)}"
    return f"{step.strikes}: {word}"


# --- output -------------------------------------------------------------------------------------


def render_text(report: ReplayReport, out: TextIO, *, color: bool | None = None) -> None:
    """The human report: rule table, samples with the matched span highlighted, escalation."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    tty = out.isatty() if color is None else color
    # Piped output is never wrapped, so a sample stays on one greppable line.
    console = Console(
        file=out,
        force_terminal=tty,
        no_color=not tty,
        highlight=False,
        width=None if tty else 100,
        soft_wrap=not tty,
    )
    s = report.stats
    files = len(s.formats) or s.files
    console.print(
        f"Replayed {report.messages} messages from {files} file{'s' if files != 1 else ''}"
        f" ({s.skipped} skipped: {s.service} service/system, {s.bots} from bots"
        + (f"; {s.problems} problems" if s.problems else "")
        + f") in {report.elapsed:.1f} s"
    )
    # Plain columns when piped (greppable); light box lines on a terminal.
    table = Table(box=box.SIMPLE_HEAD if tty else None, pad_edge=False, show_edge=False)
    for col, justify in (
        ("rule", "left"),
        ("mode", "left"),
        ("matched", "right"),
        ("members", "right"),
        ("share", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    n = report.messages
    for r in report.rules.values():
        share = f"{100 * r.matched / n:.2f}%" if n else "-"
        table.add_row(r.rule_id, r.mode, str(r.matched), str(len(r.members)), share)
    console.print(table)
    for r in report.rules.values():
        if not r.samples:
            continue
        console.print()
        console.print(
            Text(f"{r.rule_id} ({r.mode}): {len(r.samples)} of {r.matched}", style="bold")
        )
        for sample in r.samples:
            line = Text("  ")
            line.append(f"{sample['timestamp'][:16].replace('T', ' ')} ")
            line.append(f"{sample['name'] or sample['member']} in {sample['channel']}: ")
            line.append_text(_highlighted(sample, tty))
            line.append(f"  [{sample['condition']}]", style="dim")
            if tty:
                console.print(line, overflow="fold")
            else:
                out.write(line.plain + "\n")  # one unwrapped, uncropped line per sample
    console.print()
    ladder = ", ".join(report.ladder) if report.ladder else "no ladder"
    console.print(Text(f"Escalation (simulated; ladder {ladder})", style="bold"))
    for kind in SANCTION_KINDS:
        members = len(report.sanctioned[kind])
        plural = "s" if members != 1 else ""
        console.print(f"  {kind:<5} {report.sanctions[kind]:>7}  ({members} member{plural})")
    console.print(
        f"  messages deleted {report.deleted}, alerts {report.alerts}"
        + (
            f", {report.while_sanctioned} matched messages sent while muted/banned"
            if report.while_sanctioned
            else ""
        )
    )


def _highlighted(sample: dict[str, Any], tty: bool) -> Any:
    from rich.text import Text

    text = sample["text"].replace("\n", " ⏎ ")
    span = sample.get("original_span")
    if not text and sample.get("attachments"):
        return Text(f"(attachments: {', '.join(sample['attachments'])})", style="italic")
    if span is None:
        return Text(text)
    start, end = span
    # Newlines were replaced by 3 characters: shift the span by 2 per newline before each end.
    raw = sample["text"]
    start += 2 * raw.count("\n", 0, start)
    end += 2 * raw.count("\n", 0, end)
    out = Text(text[:start])
    if tty:
        out.append(text[start:end], style="bold black on yellow")
    else:
        out.append(f"[[{text[start:end]}]]")
    out.append(text[end:])
    return out


def _file_sizes(paths: Sequence[str]) -> int:
    total = 0
    for p in paths:
        try:
            total += os.path.getsize(p)
        except OSError:
            pass
    return total


def _with_progress(
    paths: Sequence[str], stats: ReadStats, err: TextIO
) -> tuple[Iterator[Message | ReadProblem | Elsewhere], Any, Any]:
    """The reader stream, and (tick, stop) for a rich progress bar on ``err`` when it is a TTY."""
    stream = iter_exports(paths, stats)
    if not err.isatty():
        return stream, None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("replaying"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[messages]} messages"),
        TimeRemainingColumn(),
        console=Console(file=err),
        transient=True,
    )
    task = progress.add_task("replay", total=_file_sizes(paths) or None, messages=0)
    progress.start()

    def tick() -> None:
        progress.update(task, completed=sum(stats.positions.values()), messages=stats.messages)

    return stream, tick, progress.stop


def _load_model(ruleset: RuleSet, err: TextIO) -> ScoreModel | None:
    from bot.toxicity import load_model

    backend = ruleset.toxicity.backend
    if backend == "off":
        return None
    try:
        return load_model(backend, ruleset.toxicity.model if backend == "detoxify" else None)
    except Exception as e:
        print(
            f"replay: toxicity backend {backend!r} unavailable ({e}); toxicity rules skipped",
            file=err,
        )
        return None


def expand_paths(paths: Sequence[str]) -> list[str]:
    """Export paths, a folder standing for the ``.json`` files in it, sorted by name.

    DiscordChatExporter writes one file per channel into a folder.
    """
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            out.extend(
                sorted(
                    os.path.join(p, name)
                    for name in os.listdir(p)
                    if name.lower().endswith(".json") and os.path.isfile(os.path.join(p, name))
                )
            )
        else:
            out.append(p)
    return out


# Below this much input, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024


def default_jobs(paths: Sequence[str]) -> int:
    """One worker per core this process may run on (at most 4) for large exports, else one."""
    if _file_sizes(paths) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(4, available_cores()))


def available_cores() -> int:
    """Cores this process may run on (a container or ``taskset`` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


_progress_counter: Any = None


def _init_worker(counter: Any) -> None:
    global _progress_counter
    _progress_counter = counter


def _replay_part(
    paths: list[str], ruleset: RuleSet, samples: int, part: int, parts: int
) -> ReplayReport:
    """One worker: read every export, decide the members of ``part``.

    The readers convert only this part's members' messages (the others come as ``Elsewhere``),
    so the replayer itself need not hash every member again.
    """
    import io

    from bot.rules import Engine

    engine = Engine(ruleset)
    model = _load_model(ruleset, io.StringIO()) if engine.needs_scores else None
    heap.settle()
    stats = ReadStats()
    replayer = Replayer(engine, ruleset, samples=samples, model=model, stats=stats)
    tick = None
    if part == 0 and _progress_counter is not None:
        counter = _progress_counter

        def tick() -> None:
            counter.value = sum(stats.positions.values())

    stream = iter_exports(paths, stats, Part(part, parts) if parts > 1 else None)
    return replayer.run(stream, tick)


def _replay_in_parallel(
    paths: list[str], ruleset: RuleSet, samples: int, jobs: int, err: TextIO
) -> ReplayReport:
    """Replay with ``jobs`` processes, each deciding a disjoint set of members; merge exactly."""
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0, lock=False)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(counter,)
    ) as pool:
        futures = [
            pool.submit(_replay_part, paths, ruleset, samples, part, jobs) for part in range(jobs)
        ]
        if err.isatty():
            _follow_progress(futures, counter, _file_sizes(paths), err)
        reports = [f.result() for f in futures]
    return merge_reports(reports, samples)


def _follow_progress(futures: list[Any], counter: Any, total: int, err: TextIO) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        DownloadColumn(),
        console=Console(file=err),
        transient=True,
    ) as progress:
        task = progress.add_task("replay", total=total or None)
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            progress.update(task, completed=counter.value)


def run_replay(
    paths: list[str],
    rules_path: str,
    as_json: bool,
    samples: int,
    out: TextIO,
    err: TextIO,
    jobs: int | None = None,
) -> int:
    """``modbot replay``: read the exports, decide every message, print the report.

    Returns 0 when the replay ran (read problems are reported on ``err`` and in the JSON), 1 when
    the rules file is invalid or no export was given. ``jobs`` worker processes (default: one per
    core for large exports) each decide a disjoint set of members; the result is the same.
    """
    from bot.rules import Engine, RulesError, load_rules

    paths = expand_paths(paths)
    if not paths:
        print("replay: no export files given", file=err)
        return 1
    try:
        ruleset = load_rules(rules_path)
    except RulesError as e:
        problems = getattr(e, "problems", None) or [e]
        for p in problems:
            print(str(p), file=err)
        return 1
    except OSError as e:
        print(f"replay: cannot read rules file {rules_path}: {e.strerror or e}", file=err)
        return 1
    if jobs is None:
        jobs = default_jobs(paths)
    if jobs > 1:
        report = _replay_in_parallel(paths, ruleset, samples, jobs, err)
    else:
        engine = Engine(ruleset)
        model = _load_model(ruleset, err) if engine.needs_scores else None
        heap.settle()
        stats = ReadStats()
        replayer = Replayer(engine, ruleset, samples=samples, model=model, stats=stats)
        stream, tick, stop = _with_progress(paths, stats, err)
        try:
            report = replayer.run(stream, tick)
        finally:
            if stop is not None:
                stop()
    stats = report.stats
    for p in report.problems:
        print(str(p), file=err)
    if stats.problems > len(report.problems):
        print(f"... and {stats.problems - len(report.problems)} more problems", file=err)
    if as_json:
        json.dump(report.to_json(), out, ensure_ascii=False)
        out.write("\n")
    else:
        render_text(report, out)
    return 0
