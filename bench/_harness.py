"""Shared by the platform benchmarks: start ``modbot run`` as a subprocess, take percentiles."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start_bot(
    rules: str,
    db: Path,
    env: dict[str, str],
    log_file: BinaryIO,
    profile: str | None = None,
) -> asyncio.subprocess.Process:
    """``python -m bot run --rules R --db D`` with ``env``, output to ``log_file`` (optionally profiled)."""
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *profiling,
        "-m",
        "bot",
        "run",
        "--rules",
        rules,
        "--db",
        str(db),
        env=env,
        cwd=ROOT,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
