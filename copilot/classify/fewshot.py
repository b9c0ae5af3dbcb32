"""The LLM learns from this mailbox too: the corrected replies most like the one being classified, as examples.

Collectors' corrections are indexed by TF-IDF over character n-grams (any of the five languages, and robust to
names and numbers), weighted by how rare each n-gram is in the shipped replies; the prompt carries the few nearest, cut short, quoted as data exactly like the email itself.
The index is rebuilt only when a new correction arrives.
"""

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from copilot.classify.registry import latest_correction_id
from copilot.evaluation.corrections import correction_rows
from copilot.evaluation.dataset import load_dataset
from copilot.resources import datasets_dir
from copilot.store import Store

MIN_SIMILARITY = 0.2  # below this cosine a correction says little about the reply; better no example than a random one


@lru_cache(maxsize=1)
def _background() -> tuple[str, ...]:
    return tuple(r.text for r in load_dataset(datasets_dir() / "train.jsonl"))


@dataclass(frozen=True)
class CorrectedExample:
    """A reply a collector labelled by hand, as the prompt shows it."""

    id: str
    text: str
    label: str
    frustrated: bool
    similarity: float


class CorrectionExamples:
    """Finds the database's corrected replies nearest to a text."""

    def __init__(self, store: Store, limit: int = 3, max_chars: int = 500, min_similarity: float = MIN_SIMILARITY):
        self.store, self.limit, self.max_chars, self.min_similarity = store, limit, max_chars, min_similarity
        self._built_for: int | None = None
        self._rows: list[CorrectedExample] = []
        self._vectorizer: TfidfVectorizer | None = None
        self._matrix = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        newest = latest_correction_id(self.store)
        if newest == self._built_for:
            return
        rows, _ = correction_rows(self.store)
        self._rows = [CorrectedExample(r.id, r.text.strip()[: self.max_chars], r.label.value, r.frustrated, 0.0) for r in rows]
        self._vectorizer, self._matrix = None, None
        if self._rows:
            texts = [r.text for r in self._rows]
            # Word weights come from the shipped replies as well: with a handful of corrections alone every
            # shared "the" or "ing" would look telling, and any two replies would seem alike.
            self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
            self._vectorizer.fit([*_background(), *texts])
            self._matrix = self._vectorizer.transform(texts)
        self._built_for = newest

    def similar(self, text: str) -> list[CorrectedExample]:
        """Up to `limit` corrected replies most like `text`, nearest first; none when nothing is close."""
        if self.limit <= 0 or not text.strip():
            return []
        with self._lock:
            self._refresh()
            if self._vectorizer is None:
                return []
            scores = (self._matrix @ self._vectorizer.transform([text]).T).toarray().ravel()  # rows are l2-normalised
        order = np.argsort(-scores, kind="stable")[: self.limit]
        return [
            CorrectedExample(self._rows[i].id, self._rows[i].text, self._rows[i].label, self._rows[i].frustrated, round(float(scores[i]), 4))
            for i in order
            if scores[i] >= self.min_similarity
        ]  # fmt: skip
