"""Administration: reload the rules file and the toxicity scorer it needs (refused, changing nothing,
when the file is invalid or the scorer cannot be loaded), stats with a chart."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import date, timedelta

import structlog

from bot import heap
from bot.commands.spec import Command, Kind, Param, Reply, Request
from bot.moderation.permissions import Privilege
from bot.moderation.scoring import ScorerChange, ScorerLoadFailed, describe
from bot.rules import Engine, RulesError, RuleSet, load_rules
from bot.storage import activity as activity_store
from bot.storage import stats as stats_store

log = structlog.get_logger("bot.commands.admin")

MAX_PROBLEMS = 15  # a chat message, not a report: the rest is for `modbot check`
DEFAULT_DAYS = 7


def _load(path: str) -> tuple[RuleSet, Engine]:
    ruleset = load_rules(path)
    return ruleset, Engine(ruleset)


async def reload(req: Request) -> Reply:
    """Re-read the rules file and swap in the rules with the toxicity scorer their settings need.

    An invalid file changes nothing and is answered with its errors; so does a scorer that cannot
    be loaded (the old rules and the old scorer stay), unless the running one had failed to load
    too (see ``Pipeline.reload_rules``).
    """
    pipeline = req.ctx.pipeline
    path = pipeline.ruleset.path
    if path is None:
        return Reply(req.t("cmd.reload_no_file"), ephemeral=True)
    try:
        # Reading, validating and compiling run off the event loop: moderation goes on meanwhile.
        ruleset, engine = await asyncio.to_thread(_load, str(path))
    except RulesError as exc:
        shown = [str(p) for p in exc.problems[:MAX_PROBLEMS]]
        if len(exc.problems) > MAX_PROBLEMS:
            shown.append(req.t("cmd.more_problems", count=len(exc.problems) - MAX_PROBLEMS))
        log.warning("reload_refused", path=str(path), problems=len(exc.problems))
        return Reply(req.t("cmd.reload_refused", problems="\n".join(shown)), ephemeral=True)
    except Exception as exc:  # a file that validates but does not compile (e.g. a words_file)
        log.warning("reload_refused", path=str(path), error=str(exc))
        return Reply(req.t("cmd.reload_refused", problems=f"{path}: {exc}"), ephemeral=True)
    try:
        # Loads a new scorer (off the event loop) only when the toxicity settings changed.
        change = await pipeline.reload_rules(ruleset, engine)
    except ScorerLoadFailed as exc:
        log.warning("reload_refused", path=str(path), scorer=describe(exc.key), error=exc.error)
        return Reply(
            req.t("cmd.reload_scorer_refused", scorer=describe(exc.key), error=exc.error),
            ephemeral=True,
        )
    heap.settle()  # the old rule set is collected, the new one frozen (~20 ms)
    log.info("rules_reloaded", path=str(path), rules=len(ruleset.rules), scorer=change.kind)
    lines = [req.t("cmd.reloaded", rules=len(ruleset.rules))]
    scorer_line = _scorer_line(req, change, ruleset.toxicity.on_error)
    if scorer_line:
        lines.append(scorer_line)
    return Reply("\n".join(lines), ephemeral=True)


def _scorer_line(req: Request, change: ScorerChange, on_error: str) -> str | None:
    """What a reload did to the toxicity scorer, for the moderator; None when nothing."""
    if change.kind == "loaded" and change.key is not None:
        return req.t("cmd.reload_scorer_loaded", scorer=describe(change.key))
    if change.kind == "stopped":
        return req.t("cmd.reload_scorer_stopped")
    if change.kind == "unavailable" and change.key is not None:
        return req.t(
            "cmd.reload_scorer_unavailable",
            scorer=describe(change.key),
            error=change.error or "",
            on_error=on_error,
        )
    return None


def render_chart(
    days: list[activity_store.Day], first: date, count: int, title: str, labels: dict[str, str]
) -> bytes:
    """A PNG: messages, joins and leaves per day above, actions per day by rule below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Figure + the Agg canvas directly: no pyplot global state, safe off the main thread.
    all_days = [first + timedelta(days=i) for i in range(count)]
    by_day = {d.day: d for d in days}
    keys = [d.isoformat() for d in all_days]
    xs = list(range(count))
    ticks = [d.strftime("%d/%m") for d in all_days]
    fig = Figure(figsize=(8, 6), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for attr, colour in (("messages", "#1f77b4"), ("joined", "#2ca02c"), ("left", "#d62728")):
        values = [getattr(by_day[k], attr) if k in by_day else 0 for k in keys]
        top.plot(xs, values, marker="o", color=colour, label=labels[attr])
    top.set_title(title)
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    totals: Counter[str] = Counter()
    for d in days:
        totals.update(d.actions)
    rules = [r for r, _ in totals.most_common(6)]
    base = [0] * count
    palette = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    for rule, colour in zip(rules, palette, strict=False):
        values = [by_day[k].actions.get(rule, 0) if k in by_day else 0 for k in keys]
        bottom.bar(xs, values, bottom=base, color=colour, label=rule)
        base = [b + v for b, v in zip(base, values, strict=True)]
    bottom.set_ylabel(labels["actions"])
    if rules:
        bottom.legend(loc="upper left", fontsize="small")
    bottom.grid(alpha=0.3, axis="y")
    bottom.set_xticks(xs, ticks, rotation=45 if count > 10 else 0)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


async def stats(req: Request) -> Reply:
    """Joined/left, messages, actions per rule and per day, top rules, active strikes; a chart."""
    ctx, inv = req.ctx, req.inv
    n_days: int = req.args["days"] or DEFAULT_DAYS
    await ctx.flush()
    first = (req.now - timedelta(days=n_days - 1)).date()
    since = req.now.replace(
        year=first.year, month=first.month, day=first.day, hour=0, minute=0, second=0, microsecond=0
    )
    platform = str(inv.platform)
    days = await activity_store.days(ctx.db, platform, inv.community_id, since)
    summary = await stats_store.community_stats(ctx.db, platform, inv.community_id, since)
    members, strikes = await activity_store.active_strikes(
        ctx.db, platform, inv.community_id, req.now
    )
    messages = sum(d.messages for d in days)
    joined = sum(d.joined for d in days)
    left = sum(d.left for d in days)
    actions: Counter[str] = Counter()
    for d in days:
        actions.update(d.actions)
    lines = [
        req.t("stats.header", days=n_days),
        req.t("stats.activity", messages=messages, joined=joined, left=left),
        req.t("stats.cases", cases=summary.cases - summary.shadow_cases, pardoned=summary.pardoned),
        req.t("stats.strikes", strikes=strikes, members=members),
        req.t("stats.reports", received=summary.reports, open=summary.open_reports),
    ]
    if summary.sanctions:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(summary.sanctions.items()))
        lines.append(req.t("stats.sanctions", sanctions=shown))
    if actions:
        top = ", ".join(f"{rule} ({n})" for rule, n in actions.most_common(5))
        lines.append(req.t("stats.top_rules", rules=top))
    labels = {
        "messages": req.t("stats.label_messages"),
        "joined": req.t("stats.label_joined"),
        "left": req.t("stats.label_left"),
        "actions": req.t("stats.label_actions"),
    }
    title = req.t(
        "stats.chart_title", community=ctx.ruleset.community.name or inv.community_name, days=n_days
    )
    png = await asyncio.to_thread(render_chart, days, first, n_days, title, labels)
    return Reply("\n".join(lines), ephemeral=True, png=png)


M = Privilege.MODERATOR
COMMANDS = (
    Command("reload", M, (), reload, slow=True, private=True),
    Command(
        "stats",
        M,
        (Param("days", Kind.INT, default=DEFAULT_DAYS, minimum=1, maximum=90),),
        stats,
        slow=True,
        private=True,
    ),
)
