"""Micro-bench: normalize + word search per message, for word lists of 1k, 10k and 100k entries."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bot.rules.normalize import normalize
from bot.rules.textindex import WordEntry, WordIndex

SHARED = Path("/work/shared/data/wordlists")
MESSAGES = [
    "Hey guys, what are you all doing this evening? Thinking about the movies later.",
    "lol that was so funny, see you tomorrow at 10:30",
    "Can someone help me with my python code? It keeps crashing on line 42.",
    "Chào mọi người, hôm nay trời đẹp quá, đi chơi không các bạn ơi?",
    "tối nay ai rảnh thì đi ăn lẩu nhé, 7h tập trung ở nhà mình",
    "ok thanks!! 👍😂",
    "f.u.c.k you and your sh1t",
    "mày ngu vãi lồn",
    "check this out https://example.com/page?id=3",
    "@john did you see the new update?",
]


def word_list(n: int) -> list[str]:
    base = [w for f in ("en.txt", "vi.txt") for w in (SHARED / f).read_text().splitlines() if w]
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = list(base)
    while len(out) < n:
        out.append("".join(rng.choice(letters) for _ in range(rng.randint(4, 10))))
    return out[:n]


def per_message_us(fn, messages: list[str], rounds: int = 2000) -> float:
    best = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(rounds // len(messages)):
            for m in messages:
                fn(m)
        best.append((time.perf_counter() - t) / (rounds // len(messages) * len(messages)))
    return min(best) * 1e6


def main() -> None:
    for m in MESSAGES:  # warm caches and lazy tables
        normalize(m).search_forms()
    print(f"normalize only: {per_message_us(lambda m: normalize(m).text, MESSAGES):.2f} us/msg")
    for n in (1_000, 10_000, 100_000):
        t = time.perf_counter()
        idx = WordIndex(WordEntry(i, w, "word") for i, w in enumerate(word_list(n)))
        build = time.perf_counter() - t
        us = per_message_us(lambda m, idx=idx: idx.search(normalize(m)), MESSAGES)
        print(f"{n:>7} words: build {build:.2f} s, normalize+search {us:.2f} us/msg")
    idx = WordIndex(WordEntry(i, w, "word") for i, w in enumerate(word_list(10_000)))
    rng = random.Random(1)
    patho = {
        "'a'*100000": "a" * 100_000,
        "'a.'*50000": "a." * 50_000,
        "' ass'*25000": " ass" * 25_000,
        "'f u '*25000": "f u " * 25_000,
        "combining*100000": "\u0301" * 100_000,
        "zalgo 'ệ̶'*30000": "ệ\u0336" * 30_000,
        "random BMP 100k": "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(100_000)),
        "random BMP 4096": "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(4096)),
    }
    for name, text in patho.items():
        times = []
        for _ in range(3):
            t = time.perf_counter()
            nt = normalize(text)
            idx.search(nt)
            times.append(time.perf_counter() - t)
        print(f"pathological {name}: {statistics.median(times) * 1000:.1f} ms (normalize+search)")


if __name__ == "__main__":
    main()
