"""Benchmark ``modbot replay``: a generated 500,000-message export, throughput and peak memory.

Each measurement runs in its own process so peak RSS is that measurement's alone:

- ``read``: the streaming readers only (ijson + conversion to ``bot.events.Message``);
- ``replay``: the whole ``run_replay`` (readers, engine with a simulated clock, escalation,
  report) with ``rules.example.yaml`` minus its toxicity rule (no toxicity, as the target says);
- ``baseline``: ``json.load`` of the whole file, the naive reader replay must not be.

``replay-1`` is the same replay in one process; ``replay`` uses ``--jobs`` worker processes
(default: replay's own default, one per core up to 4, see ``bot.replay.report.default_jobs``).
Each row also gives the CPU seconds of the measurement (its process and its workers) and the load
average before and after it: on a shared machine, wall-clock rates are only comparable at low load.

Usage: ``python bench/replay.py [--messages N] [--format telegram|discord] [--export PATH]
[--jobs N] [--results bench/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_RATE = 20_000
TARGET_RSS_MB = 300


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_rss_mb() -> float:
    """The largest peak RSS of any finished worker process (replay's --jobs)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def child(mode: str, export: str, rules: str, jobs_arg: int | None = None) -> dict[str, Any]:
    """Run one measurement in this process and return its numbers."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    if mode == "baseline":
        with open(export, encoding="utf-8") as f:
            doc = json.load(f)
        n = sum(1 for m in doc["messages"] if m.get("type") == "message")
    elif mode == "read":
        from bot.replay import ReadProblem, ReadStats, iter_exports

        stats = ReadStats()
        n = sum(1 for item in iter_exports([export], stats) if not isinstance(item, ReadProblem))
    else:
        from bot.replay.report import default_jobs, run_replay

        out, err = io.StringIO(), io.StringIO()
        jobs = 1 if mode == "replay-1" else jobs_arg or default_jobs([export])
        code = run_replay([export], rules, True, 5, out, err, jobs=jobs)
        if code != 0:
            raise SystemExit(f"replay failed: {err.getvalue()}")
        doc = json.loads(out.getvalue())
        n = doc["messages"]
        matched = {rid: r["matched"] for rid, r in doc["rules"].items()}
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = {
        "mode": mode,
        "messages": n,
        "seconds": round(elapsed, 2),
        "rate": round(n / elapsed) if elapsed else 0,
        "cpu_seconds": round(_cpu_seconds(), 2),
        "load": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if mode.startswith("replay"):
        workers = _children_peak_rss_mb()
        result["jobs"] = jobs
        result["worker_peak_rss_mb"] = round(workers, 1)
        # Conservative: the parent's peak plus every worker at the largest worker's peak.
        result["total_rss_mb"] = round(_peak_rss_mb() + (jobs if jobs > 1 else 0) * workers, 1)
    if mode.startswith("replay"):
        result["matched"] = matched
        result["sanctions"] = doc["sanctions"]
    return result


def bench_rules(dest: Path) -> Path:
    """``rules.example.yaml`` without toxicity (rules and backend), paths made absolute."""
    data = yaml.safe_load((ROOT / "rules.example.yaml").read_text(encoding="utf-8"))
    data["toxicity"] = {"backend": "off"}

    def uses_toxicity(node: Any) -> bool:
        if isinstance(node, dict):
            return "toxicity" in node or any(uses_toxicity(v) for v in node.values())
        if isinstance(node, list):
            return any(uses_toxicity(v) for v in node)
        return False

    def absolutize(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "words_file" and isinstance(v, str):
                    node[k] = str((ROOT / v).resolve())
                else:
                    absolutize(v)
        elif isinstance(node, list):
            for v in node:
                absolutize(v)

    rules = []
    for rule in data["rules"]:
        if uses_toxicity(rule.get("match")) or uses_toxicity(rule.get("except")):
            continue
        rule.pop("tests", None)
        absolutize(rule)
        rules.append(rule)
    data["rules"] = rules
    path = dest / "bench_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_child(mode: str, export: Path, rules: Path, jobs: int | None = None) -> dict[str, Any]:
    extra = ["--jobs", str(jobs)] if jobs else []
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--export",
            str(export),
            "--rules",
            str(rules),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_results(path: Path, section: str) -> None:
    """Replace (or append) this benchmark's own section of RESULTS.md, leaving others alone."""
    begin, end = "<!-- replay-bench:begin -->", "<!-- replay-bench:end -->"
    block = f"{begin}\n{section.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=500_000)
    p.add_argument("--format", choices=("telegram", "discord"), default="telegram")
    p.add_argument("--export", type=Path, help="use this export instead of generating one")
    p.add_argument("--rules", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--child", choices=("read", "replay-1", "replay", "baseline"), help=argparse.SUPPRESS
    )
    p.add_argument(
        "--jobs", type=int, help="worker processes of the 'replay' row (default: replay's own)"
    )
    p.add_argument("--results", type=Path, help="write the section into this RESULTS.md")
    p.add_argument("--skip-baseline", action="store_true")
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child, str(a.export), str(a.rules), a.jobs)))
        return 0

    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        tmpdir = Path(tmp)
        export = a.export
        if export is None:
            from gen_export import write_export

            export = tmpdir / "result.json"
            t = time.perf_counter()
            size = write_export(export, a.format, a.messages)
            print(
                f"generated {a.messages} {a.format} messages, {size / 1e6:.0f} MB, "
                f"in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
        size_mb = os.path.getsize(export) / 1e6
        rules = bench_rules(tmpdir)
        modes = ["read", "replay-1", "replay"] + ([] if a.skip_baseline else ["baseline"])
        results = {m: run_child(m, export, rules, a.jobs) for m in modes}

    lines = [
        f"export: {a.messages if a.export is None else '?'} {a.format} messages, "
        f"{size_mb:.0f} MB; machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "",
        "| measurement | jobs | messages | seconds | msg/s | CPU s | load before / after "
        "| peak RSS (MB) | largest worker (MB) | total RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for m, r in results.items():
        lines.append(
            f"| {m} | {r.get('jobs', 1)} | {r['messages']} | {r['seconds']} | {r['rate']} | "
            f"{r['cpu_seconds']} | {r['load']} | {r['peak_rss_mb']} | "
            f"{r.get('worker_peak_rss_mb', '')} | {r.get('total_rss_mb', r['peak_rss_mb'])} |"
        )
    replay = results["replay"]
    ok_rate = replay["rate"] >= TARGET_RATE
    ok_rss = replay["total_rss_mb"] < TARGET_RSS_MB
    lines += [
        "",
        f"replay target: >= {TARGET_RATE} msg/s: {'met' if ok_rate else 'NOT met'}; "
        f"total RSS (parent + every worker) < {TARGET_RSS_MB} MB: {'met' if ok_rss else 'NOT met'}",
        f"matched per rule: {json.dumps(replay['matched'])}",
        f"sanctions: {json.dumps(replay['sanctions'])}",
    ]
    report = "\n".join(lines)
    print(report)
    if a.results:
        section = (
            "## Replay (`bench/replay.py`)\n\n"
            f"Command: `.venv/bin/python bench/replay.py --messages {a.messages} "
            f"--format {a.format}{f' --jobs {a.jobs}' if a.jobs else ''} --results {a.results}`"
            "\n\n" + report + "\n"
        )
        write_results(a.results, section)
    return 0 if ok_rate and ok_rss else 1


if __name__ == "__main__":
    raise SystemExit(main())
