"""``modbot score``: one message a line on stdin, one JSON object of scores a line on stdout."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from bot.toxicity import ScorerUnavailable, UnknownBackend, load_model

CHUNK = 256


def run_score(
    backend: str,
    stdin: TextIO,
    stdout: TextIO,
    *,
    model: str | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Score each stdin line with ``backend`` (``model``: detoxify); 0 on success, 2 on setup error.

    Lines are scored in chunks so output streams while input is still arriving; an empty line
    gets the scores of the empty text so output lines always pair with input lines.
    """
    err = stderr if stderr is not None else sys.stderr
    try:
        scorer = load_model(backend, model)
    except (ScorerUnavailable, UnknownBackend) as exc:
        print(f"modbot score: {exc}", file=err)
        return 2
    chunk: list[str] = []

    def flush() -> None:
        for scores in scorer.predict(chunk):
            stdout.write(json.dumps(scores, ensure_ascii=False) + "\n")
        stdout.flush()
        chunk.clear()

    for line in stdin:
        chunk.append(line.rstrip("\r\n"))
        # An interactive user waits for each line; a pipe gets full chunks.
        if len(chunk) >= CHUNK or not _buffered(stdin):
            flush()
    if chunk:
        flush()
    return 0


def _buffered(stream: TextIO) -> bool:
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True
