"""Train the built-in toxicity model from shared/data/toxicity and export it without scikit-learn.

Usage:
    .venv/bin/python scripts/train_toxicity.py            # train the shipped config, write artifact
    .venv/bin/python scripts/train_toxicity.py --grid     # compare configs on the held-out split

Needs the ``train`` extra (scikit-learn). Reproducible: fixed seeds, deterministic solver.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.toxicity.builtin import (  # noqa: E402
    ARTIFACT,
    FALLBACK_NORMALIZER,
    BuiltinModel,
    FeatureConfig,
    current_normalizer,
    features,
    fold_diacritics,
    scoring_text,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "toxicity"
HARMLESS = ROOT / "tests" / "data" / "harmless_chat.txt"
SEED = 20240508
# Set by main(): the engine's normalizer when importable, unless --fallback-normalizer.
NORMALIZER: str | None = None


def prep(text: str) -> str:
    return scoring_text(text, NORMALIZER)


# Source blocks by CSV line number (line 1 is the header), from shared/data/README.md.
VI_BLOCKS = [("vihos-train", 2, 8650), ("vihos-dev", 8651, 9720), ("vihos-test", 9721, 10792)]
EN_BLOCKS = [("davidson", 2, 24283), ("civil", 24284, 35355), ("sgd", 35356, 47205)]

# Twitter artefacts that only the Davidson block has: left in, they teach "tweet" = toxic.
_TWEET_NOISE = re.compile(r"(?i)\brt\b|@\w+|https?://\S+|&#?\w+;|#")


# Ordinary chat written for training only (tests/data/harmless_chat.txt is the separate eval set).
# Each template's {slots} are filled from the lists below; the near-miss words of both languages
# (óc chó, bưởi, lon, đeo, lớn, ngủ, các, cá, má, assassin, class, hoe, kill, shoot, lol) appear
# in innocent context so that words, not the source's style, carry the toxic weight.
CHAT_VI = {
    "templates": [
        "{greet} {addr}",
        "{addr} ơi {question}",
        "{greet} {addr}, {question}",
        "mình đang {activity}",
        "tối nay {addr} có {activity} không?",
        "{when} mình {activity} nhé",
        "{food} ở quán này {good} lắm",
        "mua {item} ở đâu {price} vậy {addr}?",
        "cho mình {qty} {item} nhé",
        "con {animal} nhà mình {cute}",
        "nhớ đeo {wearable} nhé {addr}",
        "mình hay đeo {wearable} khi {activity}",
        "{kid} lớn nhanh quá",
        "{place} là thành phố lớn nhất mình từng đến",
        "{when} có mưa lớn đấy",
        "buổi {part} nay {addr} rảnh không?",
        "buổi học {subject} {when} {good} lắm",
        "mình buồn ngủ quá, {when} nói tiếp nhé",
        "{kid} ngủ rồi, {addr} nói nhỏ thôi",
        "chúc {addr} ngủ ngon",
        "{food} ăn với {food2} là hết sảy",
        "ăn {nut} rất tốt cho {body}",
        "{addr} ơi hôm nay {weather}",
        "{question}",
        "cảm ơn {addr} nhiều nhé",
        "{team} đá hay quá",
        "trận {team} với {team2} {when} mấy giờ?",
        "mình học {subject} ở {place}",
        "{addr} có ai biết {question2} không?",
        "má mình nấu {food} ngon lắm",
        "các bạn ơi {question}",
        "lol {game} khó quá",
        "rank {game} của mình lên rồi",
    ],
    "greet": ["chào", "xin chào", "chào buổi sáng", "hello", "hi", "chào buổi tối"],
    "addr": [
        "các bạn",
        "mọi người",
        "cả nhà",
        "anh em",
        "các anh chị",
        "mẹ",
        "bố",
        "má",
        "ba",
        "em",
        "chị",
        "anh",
        "bạn",
        "ad",
        "admin",
        "shop",
        "thầy",
        "cô",
        "các em",
    ],
    "question": [
        "có ai đi cà phê không?",
        "mai mấy giờ họp vậy?",
        "bài tập này làm sao vậy?",
        "giá cái này bao nhiêu?",
        "ai có sạc dự phòng cho mượn với",
        "tối nay ăn gì đây?",
        "ai biết chỗ gửi xe gần đây không?",
        "đơn hàng của mình giao chưa?",
        "wifi mật khẩu là gì vậy?",
        "nhóm mình có ai ở Hà Nội không?",
        "có ai chơi cầu lông không?",
    ],
    "question2": [
        "cách cài máy in",
        "quán bún chả ngon",
        "lịch thi học kỳ",
        "chỗ sửa điện thoại uy tín",
        "cách nấu canh chua",
        "tiệm cắt tóc gần trường",
    ],
    "activity": [
        "chơi game",
        "học bài",
        "đi chạy bộ",
        "đi bơi",
        "xem phim",
        "đọc sách",
        "đi chợ",
        "nấu cơm",
        "đá bóng",
        "đi dạo",
        "làm bài tập",
        "tập gym",
        "đi xe máy",
        "code",
    ],
    "when": ["hôm nay", "ngày mai", "tối nay", "cuối tuần", "sáng mai", "chiều nay", "tuần sau"],
    "food": [
        "phở",
        "bún bò",
        "cơm tấm",
        "bánh mì",
        "bánh xèo",
        "gỏi cuốn",
        "chè",
        "cá kho",
        "lẩu",
        "bún chả",
        "trà sữa",
        "cà phê sữa đá",
    ],
    "food2": ["rau sống", "cơm trắng", "nước mắm", "bánh tráng", "dưa leo"],
    "good": ["ngon", "hay", "vui", "tuyệt", "đẹp", "rẻ"],
    "price": ["rẻ", "tốt", "uy tín", "chất lượng"],
    "qty": ["một", "hai", "ba", "mấy"],
    "item": [
        "hạt óc chó",
        "quả bưởi",
        "lon bia",
        "lon nước ngọt",
        "con cá lóc",
        "bánh mì óc chó",
        "sữa hạt óc chó",
        "cái lồng chim",
        "túi xách",
        "cái áo",
        "đôi giày",
        "bưởi da xanh",
        "lon sữa",
    ],
    "animal": ["chó", "mèo", "cá vàng", "chim", "cún", "gà", "thỏ"],
    "cute": ["dễ thương lắm", "ngoan lắm", "mập quá", "nghịch quá", "hay ngủ lắm"],
    "wearable": ["khẩu trang", "kính", "đồng hồ", "tai nghe", "mũ bảo hiểm", "kính râm", "nhẫn"],
    "kid": ["con mình", "em bé", "cháu mình", "thằng bé", "con bé", "mấy đứa nhỏ"],
    "place": ["Hà Nội", "Sài Gòn", "Đà Nẵng", "Huế", "Cần Thơ", "Đà Lạt", "Tokyo"],
    "part": ["sáng", "chiều", "tối", "trưa"],
    "subject": ["toán", "tiếng Anh", "lịch sử", "vật lý", "hóa", "văn", "tin học"],
    "nut": ["óc chó", "hạt điều", "hạnh nhân", "bưởi", "cá"],
    "body": ["sức khỏe", "tim mạch", "trí nhớ", "da"],
    "weather": ["nắng quá", "trời đẹp ghê", "mưa to quá", "lạnh ghê", "mát mẻ"],
    "team": ["Việt Nam", "Thái Lan", "Real", "Barca", "Arsenal", "MU", "Hà Nội FC"],
    "team2": ["Indonesia", "Malaysia", "Chelsea", "Liverpool", "Bayern"],
    "game": ["liên quân", "liên minh", "pubg", "valorant", "free fire", "tốc chiến"],
}
CHAT_EN = {
    "templates": [
        "{greet} {addr}",
        "{greet} {addr}, {question}",
        "anyone up for {game} {when}?",
        "the {role} class in {game} is {adj} this season",
        "I main {role} in {game}",
        "{person} made {food} {when}, it was {adj}",
        "does anyone know {question2}?",
        "lol {reaction}",
        "{reaction} lol",
        "you need to kill the {proc} first",
        "shoot me a {msg} {when}",
        "we drove through {place} {when}",
        "I grew up in {place}",
        "{person} uses an old hoe in the garden",
        "that {boss} killed me so many times",
        "our {subject} class is {when}",
        "the {subject} exam was {adj}",
        "{question}",
        "thanks {addr}, {reaction}",
        "{team} played {adj} {when}",
        "I'm going to {activity} {when}",
        "my {pet} is so {cute}",
        "can someone help me with {tech}?",
        "try {fix}, that usually works",
        "the assassin in {game} is {adj}",
        "I'm reading {book} for class",
        "what {thing} should I buy?",
    ],
    "greet": ["hi", "hello", "hey", "good morning", "good evening", "yo", "morning"],
    "addr": ["everyone", "guys", "all", "folks", "team", "mods", "friends", "mom", "bro", "sis"],
    "question": [
        "what time is the meeting?",
        "is the server down?",
        "anyone seen my charger?",
        "where do we meet tomorrow?",
        "who's joining the call?",
        "how was your day?",
        "what are you all doing this weekend?",
        "can someone share the notes?",
    ],
    "question2": [
        "a good dentist nearby",
        "how to reset the router",
        "when the shop opens",
        "a cheap place to eat",
        "where the event is",
        "how to install python",
    ],
    "game": ["valorant", "league", "minecraft", "overwatch", "fortnite", "dota", "apex"],
    "when": ["tonight", "tomorrow", "this weekend", "later", "next week", "on friday", "today"],
    "role": ["assassin", "mage", "tank", "support", "healer", "sniper", "warrior"],
    "adj": [
        "great",
        "amazing",
        "fun",
        "hard",
        "easy",
        "strong",
        "awesome",
        "okay",
        "fine",
        "so good",
    ],
    "person": ["mom", "my dad", "grandma", "my sister", "my friend", "my roommate", "the chef"],
    "food": ["pho", "pizza", "pasta", "fried rice", "spring rolls", "pancakes", "curry", "soup"],
    "reaction": [
        "that's hilarious",
        "so funny",
        "same here",
        "that's awesome",
        "nice one",
        "no way",
        "I can't stop laughing",
        "love it",
        "good job",
    ],
    "proc": ["process", "task", "server", "job", "old container", "frozen app"],
    "msg": ["message", "text", "email", "dm"],
    "place": [
        "Scunthorpe",
        "Sussex",
        "Essex",
        "Middlesex",
        "Penistone",
        "Cockermouth",
        "Hanoi",
        "Saigon",
    ],
    "boss": ["boss", "final boss", "dragon", "raid boss", "last level"],
    "subject": ["math", "history", "biology", "english", "chemistry", "physics", "art"],
    "team": ["Arsenal", "Vietnam", "the Lakers", "our team", "Barcelona", "the home team"],
    "activity": ["the gym", "the beach", "the library", "the market", "a concert", "the park"],
    "pet": ["cat", "dog", "puppy", "kitten", "hamster", "parrot"],
    "cute": ["cute", "lazy", "playful", "sleepy", "fluffy"],
    "tech": ["my python script", "git", "docker", "my laptop", "excel", "the wifi"],
    "fix": ["restarting it", "clearing the cache", "updating the driver", "reinstalling it"],
    "book": ["Moby Dick", "Hamlet", "a history book", "The Hobbit", "Pride and Prejudice"],
    "thing": ["laptop", "phone", "keyboard", "headset", "monitor", "bike"],
}


def chat_rows(spec: dict[str, list[str]], lang: str, n: int, seed: int = SEED) -> list[Row]:
    """Fill the chat templates at random (seeded) into ``n`` distinct clean rows."""
    rng = random.Random(seed)
    slot = re.compile(r"\{(\w+)\}")
    seen: set[str] = set()
    for _ in range(n * 20):
        if len(seen) >= n:
            break
        t = rng.choice(spec["templates"])
        seen.add(slot.sub(lambda m: rng.choice(spec[m.group(1)]), t))
    return [Row(t, 0, lang, "chat-" + lang) for t in sorted(seen)]


@dataclass
class Row:
    """One training or evaluation example."""

    text: str
    label: int
    lang: str
    block: str
    weight: float = 1.0


@dataclass
class Recipe:
    """Everything that decides the model, besides the data files."""

    cfg: FeatureConfig = field(default_factory=FeatureConfig)
    C: float = 4.0
    min_df: int = 2
    # Folded (no-diacritics) copies of Vietnamese rows, so text typed without accents is covered.
    vi_fold_augment: float = 0.7
    # Total weight of each single-label English block relative to Davidson's (style leak control).
    civil_share: float = 0.25
    sgd_share: float = 0.25
    # Templated clean chat: total weight as a share of the language's other clean weight.
    chat_share: float = 0.3
    chat_rows: int = 2000
    # Logit shift after training: deployment traffic is mostly clean, the training mix is not.
    bias: float = -1.0


def _read(path: Path, blocks: list[tuple[str, int, int]], lang: str) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for lineno, (text, label) in enumerate(reader, start=2):
            block = next(name for name, lo, hi in blocks if lo <= lineno <= hi)
            rows.append(Row(text, int(label), lang, block))
    return rows


def load_splits(seed: int = SEED) -> tuple[list[Row], list[Row]]:
    """Return (train, heldout). vi: ViHOS test block held out; en: 15 % of each block, seeded."""
    vi = _read(DATA / "train_vi.csv", VI_BLOCKS, "vi")
    en = _read(DATA / "train_en.csv", EN_BLOCKS, "en")
    for r in en:
        if r.block == "davidson":
            r.text = " ".join(_TWEET_NOISE.sub(" ", r.text).split())
    train = [r for r in vi if r.block != "vihos-test"]
    held = [r for r in vi if r.block == "vihos-test"]
    rng = random.Random(seed)
    for name, _, _ in EN_BLOCKS:
        block = [r for r in en if r.block == name]
        rng.shuffle(block)
        cut = int(len(block) * 0.15)
        held.extend(block[:cut])
        train.extend(block[cut:])
    return train, held


def weighted(train: list[Row], recipe: Recipe) -> list[Row]:
    """Apply augmentation and per-block weights; every language ends up class-balanced."""
    rows = [replace(r) for r in train]
    if recipe.chat_share > 0:
        rows += chat_rows(CHAT_VI, "vi", recipe.chat_rows) + chat_rows(
            CHAT_EN, "en", recipe.chat_rows
        )
    en_dav = [r for r in rows if r.block == "davidson"]
    # Davidson: balance its two classes so swear-word tweets vs other tweets is the signal.
    dav_pos = sum(r.label for r in en_dav)
    dav_neg = len(en_dav) - dav_pos
    dav_total = float(len(en_dav))
    for r in en_dav:
        r.weight = dav_total / 2 / (dav_pos if r.label else dav_neg)
    for name, share in (("civil", recipe.civil_share), ("sgd", recipe.sgd_share)):
        block = [r for r in rows if r.block == name]
        for r in block:
            r.weight = share * dav_total / len(block)
    for lang in ("vi", "en"):
        chat = [r for r in rows if r.block == "chat-" + lang]
        if chat:
            other = sum(
                r.weight
                for r in rows
                if r.lang == lang and not r.label and r.block != "chat-" + lang
            )
            for r in chat:
                r.weight = recipe.chat_share * other / len(chat)
    if recipe.vi_fold_augment > 0:
        for r in list(rows):
            if r.lang == "vi":
                folded = fold_diacritics(prep(r.text))
                if folded != prep(r.text):
                    w = r.weight * recipe.vi_fold_augment
                    rows.append(replace(r, text=folded, block=r.block + "-folded", weight=w))
    # Balance classes within each language, then give both languages equal total weight.
    for lang in ("vi", "en"):
        lr = [r for r in rows if r.lang == lang]
        pos = sum(r.weight for r in lr if r.label)
        neg = sum(r.weight for r in lr if not r.label)
        for r in lr:
            r.weight *= 0.5 / (pos if r.label else neg)
    return rows


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC by the rank-sum formula (ties get average ranks)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def harmless_lines() -> list[str]:
    return [ln.strip() for ln in HARMLESS.read_text(encoding="utf-8").splitlines() if ln.strip()]


def evaluate(score, held: list[Row]) -> dict[str, float]:
    """Held-out AUC per language and slice, and FPR at 0.5 on the harmless-chat set."""
    out: dict[str, float] = {}

    def _auc(rows: list[Row], key: str, transform=None) -> None:
        texts = [transform(r.text) if transform else r.text for r in rows]
        out[key] = auc(np.array([r.label for r in rows]), np.array(score(texts)))

    _auc([r for r in held if r.lang == "vi"], "auc_vi")
    _auc([r for r in held if r.lang == "vi"], "auc_vi_nodiacritics", fold_diacritics)
    _auc([r for r in held if r.lang == "en"], "auc_en")
    _auc([r for r in held if r.block == "davidson"], "auc_en_davidson")
    vi_held = [r for r in held if r.lang == "vi"]
    out["tpr_vi@0.5"] = float(
        np.mean(
            [
                s >= 0.5
                for s, r in zip(score([r.text for r in vi_held]), vi_held, strict=True)
                if r.label
            ]
        )
    )
    lines = harmless_lines()
    s = np.array(score(lines))
    out["fpr_harmless@0.5"] = float((s >= 0.5).mean())
    # What a logit shift would do (AUC is unchanged by it): harmless FPR and toxic recall at 0.5.
    held_s = np.array(score([r.text for r in held]))
    held_y = np.array([r.label for r in held])
    lg, hlg = _logit(s), _logit(held_s)
    for b in (-0.5, -1.0, -1.5):
        out[f"fpr@b{b}"] = float((lg + b >= 0).mean())
        out[f"tpr@b{b}"] = float((hlg[held_y == 1] + b >= 0).mean())
    out["harmless_max"] = float(s.max())
    return out


def fit(rows: list[Row], recipe: Recipe, cache: dict | None = None) -> BuiltinModel:
    """Fit TF-IDF + logistic regression with scikit-learn, then export to a BuiltinModel."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    key = (recipe.cfg, recipe.min_df, recipe.vi_fold_augment > 0, recipe.chat_share > 0)
    texts = [prep(r.text) for r in rows]
    if cache is not None and key in cache:
        vec, x = cache[key]
    else:
        cfg = recipe.cfg
        vec = TfidfVectorizer(
            analyzer=lambda t: features(t, cfg),
            min_df=recipe.min_df,
            sublinear_tf=cfg.sublinear_tf,
            dtype=np.float64,
        )
        x = vec.fit_transform(texts)
        if cache is not None:
            cache[key] = (vec, x)
    y = np.array([r.label for r in rows])
    w = np.array([r.weight for r in rows])
    w = w * (len(rows) / w.sum())
    clf = LogisticRegression(C=recipe.C, solver="liblinear", max_iter=2000, random_state=SEED)
    clf.fit(x, y, sample_weight=w)
    vocab = [""] * len(vec.vocabulary_)
    for term, idx in vec.vocabulary_.items():
        vocab[idx] = term
    coef = clf.coef_[0]
    idf = vec.idf_
    keep = np.ones(len(vocab), dtype=bool)
    meta = {
        "normalizer": NORMALIZER,
        "trained_rows": len(rows),
        "recipe": {
            "C": recipe.C,
            "min_df": recipe.min_df,
            "vi_fold_augment": recipe.vi_fold_augment,
            "civil_share": recipe.civil_share,
            "sgd_share": recipe.sgd_share,
            "bias": recipe.bias,
            "chat_share": recipe.chat_share,
            "chat_rows": recipe.chat_rows,
        },
        "seed": SEED,
    }
    model = BuiltinModel(
        [v for v, k in zip(vocab, keep, strict=True) if k],
        (idf * coef)[keep],
        idf[keep],
        float(clf.intercept_[0]) + recipe.bias,
        recipe.cfg,
        meta,
    )
    # The exported model must reproduce scikit-learn's decisions (before the bias shift).
    sample = texts[:: max(1, len(texts) // 300)]
    ref = clf.decision_function(vec.transform(sample))
    ours = np.array([model.decision(t) - recipe.bias for t in sample])
    assert np.allclose(ref, ours, atol=1e-6), float(np.abs(ref - ours).max())
    return model


def scorer_of(model: BuiltinModel):
    return lambda texts: [model.score_text(t) for t in texts]


def grid(train: list[Row], held: list[Row]) -> None:
    base = Recipe()
    variants: list[tuple[str, Recipe]] = [
        ("base", base),
        ("chat=0", replace(base, chat_share=0.0)),
        ("chat=0.6", replace(base, chat_share=0.6)),
        ("chat=1.0", replace(base, chat_share=1.0)),
        ("C=2", replace(base, C=2.0)),
        ("C=8", replace(base, C=8.0)),
        ("civil/sgd=0.25", replace(base, civil_share=0.25, sgd_share=0.25)),
        ("fold=1.0", replace(base, vi_fold_augment=1.0)),
    ]
    cache: dict = {}
    for name, recipe in variants:
        t0 = time.perf_counter()
        model = fit(weighted(train, recipe), recipe, cache)
        res = evaluate(scorer_of(model), held)
        print(
            f"{name:16s} feats={len(model):8d} {time.perf_counter() - t0:5.1f}s "
            + " ".join(f"{k}={v:.4f}" for k, v in res.items()),
            flush=True,
        )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--grid", action="store_true", help="compare configurations, write nothing")
    ap.add_argument(
        "--out", type=Path, default=ARTIFACT, help="artifact path (default: the package's)"
    )
    ap.add_argument(
        "--fallback-normalizer",
        action="store_true",
        help="use NFKC + casefold even if bot.rules.normalize is importable",
    )
    args = ap.parse_args()
    global NORMALIZER
    NORMALIZER = FALLBACK_NORMALIZER if args.fallback_normalizer else current_normalizer()
    train, held = load_splits()
    print(f"train rows {len(train)}, held-out rows {len(held)}, normalizer {NORMALIZER}")
    if args.grid:
        grid(train, held)
        return 0
    recipe = Recipe()
    t0 = time.perf_counter()
    model = fit(weighted(train, recipe), recipe)
    print(f"trained in {time.perf_counter() - t0:.1f}s, {len(model)} features")
    res = evaluate(scorer_of(model), held)
    model.meta["heldout"] = {k: round(v, 4) for k, v in res.items()}
    model.save(args.out)
    print(json.dumps(res, indent=2))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
