"""Benchmark toxicity scoring: built-in model speed/load/RSS, detoxify micro-batching vs batch-of-one.

Run: .venv/bin/python bench/toxicity.py [--no-write]
Appends (or replaces) the "toxicity" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.toxicity.batcher import BatchingScorer  # noqa: E402
from bot.toxicity.builtin import ARTIFACT, BuiltinModel  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "toxicity"
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- bench:toxicity:start -->", "<!-- bench:toxicity:end -->"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def messages(n: int) -> list[str]:
    """Real chat-like texts (both languages) from the training data, else the harmless set."""
    texts: list[str] = []
    for name in ("train_vi.csv", "train_en.csv"):
        path = DATA / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as fh:
                texts += [row[0] for row in csv.reader(fh)][1:]
    if not texts:
        texts = (ROOT / "tests" / "data" / "harmless_chat.txt").read_text().splitlines()
    rng = random.Random(7)
    rng.shuffle(texts)
    return (texts * (n // len(texts) + 1))[:n]


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def timed(fn: Callable[[], None], n: int) -> tuple[float, float]:
    """Messages/s by wall clock and per CPU-second (the latter ignores other load on the box)."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return rate(n, time.perf_counter() - t0), rate(n, time.process_time() - c0)


def bench_builtin(lines: list[str]) -> list[str]:
    out: list[str] = []
    rss0 = rss_mb()
    t0 = time.perf_counter()
    model = BuiltinModel.load()
    load_s = time.perf_counter() - t0
    rss1 = rss_mb()
    out.append(f"artifact: {ARTIFACT.stat().st_size / 1e6:.2f} MB, {len(model):,} features")
    out.append(f"load: {load_s * 1000:.0f} ms; RSS +{rss1 - rss0:.0f} MB (process {rss1:.0f} MB)")
    avg = sum(map(len, lines)) / len(lines)
    single = lines[:3000]

    def one_by_one() -> None:
        for t in single:
            model.predict([t])

    one_rate, one_cpu = timed(one_by_one, len(single))
    fresh = BuiltinModel.load()  # cold word cache: the batched number must not ride on warm-up

    def batched() -> None:
        for i in range(0, len(lines), 256):
            fresh.predict(lines[i : i + 256])

    cold, cold_cpu = timed(batched, len(lines))
    warm, warm_cpu = timed(batched, len(lines))

    async def through_scorer() -> float:
        scorer = BatchingScorer(
            BuiltinModel.load(), max_batch=256, cache_size=0, timeout=60, max_pending=len(lines) + 1
        )
        t0 = time.perf_counter()
        await asyncio.gather(*(scorer.score(t) for t in lines))
        took = time.perf_counter() - t0
        await scorer.aclose()
        return rate(len(lines), took)

    via = asyncio.run(through_scorer())
    out.append(f"messages: {len(lines):,}, mean {avg:.0f} chars, vi+en training texts, one core")
    out.append(
        f"one at a time (baseline): {one_rate:,.0f} msg/s wall, {one_cpu:,.0f} msg/s per CPU-second"
    )
    out.append(
        f"batched 256, cold word cache: {cold:,.0f} msg/s wall ({cold / one_rate:.1f}x baseline), "
        f"{cold_cpu:,.0f} per CPU-second ({cold_cpu / one_cpu:.1f}x)"
    )
    out.append(
        f"batched 256, warm word cache: {warm:,.0f} msg/s wall ({warm / one_rate:.1f}x), "
        f"{warm_cpu:,.0f} per CPU-second ({warm_cpu / one_cpu:.1f}x)"
    )
    out.append(
        f"async scorer, {len(lines):,} concurrent score() calls: {via:,.0f} msg/s ({via / one_rate:.1f}x)"
    )
    out.append(f"RSS after builtin: {rss_mb():.0f} MB")
    return out


def bench_detoxify() -> list[str]:
    try:
        import torch
        import transformers
    except ImportError:
        return ["skipped: torch/transformers not installed (pip install 'modbot[detoxify]')"]
    from bot.toxicity.detoxify import DetoxifyModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rss0 = rss_mb()
    rng = random.Random(3)
    words = [f"w{i}" for i in range(500)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "tiny-bert"
        base.mkdir()
        vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
        (base / "vocab.txt").write_text("\n".join(vocab) + "\n")
        cfg = transformers.BertConfig(
            vocab_size=len(vocab),
            hidden_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=512,
            num_labels=6,
        )
        cfg.save_pretrained(base)
        torch.manual_seed(0)
        net = transformers.BertForSequenceClassification(cfg)
        classes = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
        conf = {
            "arch": {
                "args": {
                    "model_type": "tiny-bert",
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": 6,
                }
            },
            "dataset": {"args": {"classes": classes}},
        }
        ckpt = Path(tmp) / "tiny.ckpt"
        torch.save({"config": conf, "state_dict": net.state_dict()}, ckpt)
        t0 = time.perf_counter()
        model = DetoxifyModel.load(str(ckpt))
        load_s = time.perf_counter() - t0
    texts = [" ".join(rng.choices(words, k=rng.randint(8, 30))) for _ in range(1500)]

    async def run(max_batch: int) -> float:
        scorer = BatchingScorer(
            model, max_batch=max_batch, max_wait=0.005, cache_size=0, timeout=300
        )
        t0 = time.perf_counter()
        await asyncio.gather(*(scorer.score(t) for t in texts))
        took = time.perf_counter() - t0
        await scorer.aclose()
        return rate(len(texts), took)

    one = asyncio.run(run(1))
    batched = asyncio.run(run(32))
    return [
        f"tiny random BERT (2 layers, hidden 128), {torch.get_num_threads()} torch threads, "
        f"load {load_s * 1000:.0f} ms, RSS +{rss_mb() - rss0:.0f} MB incl. torch import",
        f"{len(texts)} concurrent messages, batch of one (baseline): {one:,.0f} msg/s",
        f"micro-batching (up to 32, 5 ms): {batched:,.0f} msg/s ({batched / one:.1f}x baseline)",
    ]


def write_results(lines: list[str]) -> None:
    section = "\n".join([START, *lines, END])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else "# Benchmark results\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    ap.add_argument("-n", type=int, default=20_000, help="messages for the built-in model")
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[0]})  # the built-in model's target is one core
    built = bench_builtin(messages(args.n))
    os.sched_setaffinity(0, set(cpus))  # detoxify uses every core, as in production
    detox = bench_detoxify()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## toxicity",
        "",
        f"`.venv/bin/python bench/toxicity.py` — {stamp}, Python {platform.python_version()}, "
        f"{len(cpus)} cores available, load average {os.getloadavg()[0]:.1f} at start",
        "",
        "Built-in model (pinned to one core):",
        "",
        *[f"- {x}" for x in built],
        "",
        "detoxify backend, micro-batching against batch-of-one in the same run:",
        "",
        *[f"- {x}" for x in detox],
        "",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_results(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
