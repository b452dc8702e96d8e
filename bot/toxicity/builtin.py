"""Built-in bilingual toxicity model: n-gram TF-IDF + logistic regression, numpy inference."""

from __future__ import annotations

import array
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.toxicity import ModelNotFound, Scores

ARTIFACT = Path(__file__).with_name("builtin_model.npz")
FORMAT_VERSION = 1

_WORD = re.compile(r"\w+")
# Vietnamese đ has no decomposition, so NFD alone leaves it; fold it by hand.
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})

FALLBACK_NORMALIZER = "nfkc-casefold"
ENGINE_NORMALIZER = "bot.rules.normalize"
_engine: list[Callable[[str], str] | None] = []


def _engine_normalize() -> Callable[[str], str] | None:
    # Imported lazily: bot.rules imports the scorer, so a top-level import would be circular.
    if not _engine:
        try:
            from bot.rules.normalize import normalize
        except ImportError:  # only until bot/rules/normalize.py is in the tree
            _engine.append(None)
        else:
            _engine.append(lambda text: str(normalize(text).text))
    return _engine[0]


def current_normalizer() -> str:
    """Name of the normalizer ``scoring_text`` uses now (recorded in the artifact at training)."""
    return ENGINE_NORMALIZER if _engine_normalize() is not None else FALLBACK_NORMALIZER


def scoring_text(text: str, normalizer: str | None = None) -> str:
    """Return the text the model sees: the engine's normalized text, else NFKC + casefold.

    ``normalizer`` pins one (the artifact's), so a model always sees text prepared as in training.
    """
    if normalizer != FALLBACK_NORMALIZER:
        engine = _engine_normalize()
        if engine is not None:
            return engine(text)
    return unicodedata.normalize("NFKC", text).casefold()


def fold_diacritics(text: str) -> str:
    """Drop combining marks and map đ→d, so ``lớn`` becomes ``lon``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


@dataclass(frozen=True)
class FeatureConfig:
    """How texts become features; stored in the artifact so training and inference agree."""

    char_min: int = 2
    char_max: int = 5
    word_unigrams: bool = True
    word_bigrams: bool = True
    # "folded": also emit features of the diacritic-free form of words that carry diacritics.
    fold_features: bool = False
    sublinear_tf: bool = True

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureConfig:
        return cls(**data)


def features(text: str, cfg: FeatureConfig) -> list[str]:
    """Turn an already-normalized text into its feature strings (with repeats, for tf)."""
    words = _WORD.findall(text)
    out: list[str] = []
    _char_grams(words, cfg.char_min, cfg.char_max, "", out)
    if cfg.word_unigrams:
        out.extend(["w:" + w for w in words])
    if cfg.word_bigrams and len(words) > 1:
        out.extend(["b:" + a + " " + b for a, b in itertools.pairwise(words)])
    if cfg.fold_features:
        folded = [f for f in (fold_diacritics(w) for w in words if not w.isascii()) if f]
        _char_grams(folded, cfg.char_min, cfg.char_max, "f:", out)
    return out


def _char_grams(words: Iterable[str], lo: int, hi: int, prefix: str, out: list[str]) -> None:
    # Padded like scikit-learn's char_wb so word starts and ends are features of their own.
    for w in words:
        p = " " + w + " "
        size = len(p)
        for n in range(lo, min(hi, size) + 1):
            out.extend([prefix + p[i : i + n] for i in range(size - n + 1)])


def sigmoid(z: float) -> float:
    """Logistic function, safe for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class BuiltinModel:
    """The shipped model: a dict from feature to (idf*coef, idf), scored per message in Python."""

    name = "builtin"
    labels: tuple[str, ...] = ("toxicity",)

    def __init__(
        self,
        vocab: Sequence[str],
        weight: np.ndarray,
        idf: np.ndarray,
        intercept: float,
        cfg: FeatureConfig,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.cfg = cfg
        self.intercept = float(intercept)
        self.meta = meta or {}
        self.normalizer = str(self.meta.get("normalizer") or FALLBACK_NORMALIZER)
        # Feature -> row index. Weights stay numpy arrays only: Python float lists of them would
        # cost ~13 MB in every bot process.
        self._index: dict[str, int] = {v: i for i, v in enumerate(vocab)}
        self._w_np = np.asarray(weight, dtype=np.float64)
        self._idf_np = np.asarray(idf, dtype=np.float64)
        self._size = max(1, len(vocab))
        # Chat repeats words: cache each word's known feature rows (bounded, cleared when full).
        self._word_rows: dict[str, tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> BuiltinModel:
        """Load the artifact (default: the one shipped in the package)."""
        p = Path(path) if path else ARTIFACT
        if not p.is_file():
            raise ModelNotFound(
                f"built-in toxicity model not found at {p}; reinstall modbot or rebuild it with "
                "`python scripts/train_toxicity.py` (needs the `train` extra)"
            )
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise ModelNotFound(f"{p}: unsupported model format {meta.get('format')!r}")
            vocab = bytes(z["vocab"]).decode("utf-8").split("\n")
            weight = z["weight"].astype(np.float64)
            idf = z["idf"].astype(np.float64)
        return cls(
            vocab, weight, idf, meta["intercept"], FeatureConfig.from_json(meta["features"]), meta
        )

    def save(self, path: str | Path) -> None:
        """Write the compact artifact: vocabulary blob, float32 weights, JSON metadata."""
        vocab = list(self._index)
        weight = self._w_np.astype(np.float32)
        idf = self._idf_np.astype(np.float32)
        meta = dict(self.meta)
        meta.update(format=FORMAT_VERSION, intercept=self.intercept, features=self.cfg.to_json())
        blob = "\n".join(vocab).encode("utf-8")
        np.savez_compressed(
            path,
            vocab=np.frombuffer(blob, dtype=np.uint8),
            weight=weight,
            idf=idf,
            meta=np.frombuffer(
                json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8
            ),
        )

    def cache_key(self, text: str) -> str:
        return scoring_text(text, self.normalizer)

    def decision(self, text: str) -> float:
        """Return the logit for a normalized text (same value as ``decision_reference``)."""
        return float(self.decisions([text])[0])

    def decisions(self, texts: Sequence[str]) -> np.ndarray:
        """Logits for already-normalized texts, vectorized over the whole batch with numpy."""
        rows: list[int] = []
        lengths: list[int] = []
        cache = self._word_rows
        get = self._index.get
        bigrams = self.cfg.word_bigrams
        for text in texts:
            start = len(rows)
            words = _WORD.findall(text)
            for w in words:
                r = cache.get(w)
                if r is None:
                    r = self._rows_of_word(w)
                rows.extend(r)
            if bigrams and len(words) > 1:
                found = map(get, ["b:" + a + " " + b for a, b in itertools.pairwise(words)])
                rows.extend([j for j in found if j is not None])
            lengths.append(len(rows) - start)
        n = len(texts)
        out = np.full(n, self.intercept)
        if not rows:
            return out
        size = self._size
        # One key per (message, feature): sorting them gives per-message term counts at once.
        feats = np.frombuffer(array.array("q", rows), dtype=np.int64)
        keys = np.repeat(np.arange(n, dtype=np.int64) * size, lengths) + feats
        uniq, counts = np.unique(keys, return_counts=True)
        msg, j = np.divmod(uniq, size)
        tf = 1.0 + np.log(counts) if self.cfg.sublinear_tf else counts.astype(np.float64)
        num = np.bincount(msg, self._w_np[j] * tf, minlength=n)
        x = self._idf_np[j] * tf
        den = np.bincount(msg, x * x, minlength=n)
        has = den > 0
        out[has] += num[has] / np.sqrt(den[has])
        return out

    def _rows_of_word(self, word: str) -> tuple[int, ...]:
        out: list[str] = []
        _char_grams((word,), self.cfg.char_min, self.cfg.char_max, "", out)
        if self.cfg.word_unigrams:
            out.append("w:" + word)
        if self.cfg.fold_features and not word.isascii():
            folded = fold_diacritics(word)
            if folded:
                _char_grams((folded,), self.cfg.char_min, self.cfg.char_max, "f:", out)
        get = self._index.get
        rows = tuple([j for j in map(get, out) if j is not None])
        if len(self._word_rows) >= 50_000:
            self._word_rows.clear()
        self._word_rows[word] = rows
        return rows

    def decision_reference(self, text: str) -> float:
        """The logit computed directly from ``features`` (slow; the definition tests compare to)."""
        feats = features(text, self.cfg)
        num = 0.0
        den = 0.0
        for f, c in Counter(feats).items():
            j = self._index.get(f)
            if j is None:
                continue
            tf = (1.0 + math.log(c) if self.cfg.sublinear_tf else float(c)) if c > 1 else 1.0
            num += tf * float(self._w_np[j])
            den += (tf * float(self._idf_np[j])) ** 2
        if den <= 0.0:
            return self.intercept
        return num / math.sqrt(den) + self.intercept

    def score_text(self, text: str) -> float:
        """Probability that a raw message is toxic."""
        return self.score_texts([text])[0]

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        """Probabilities that raw messages are toxic, scored as one batch."""
        z = self.decisions([scoring_text(t, self.normalizer) for t in texts])
        return (1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))).tolist()

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        return [{"toxicity": round(p, 6)} for p in self.score_texts(texts)]

    def __len__(self) -> int:
        return len(self._index)
