"""Glue between settings and the plain index functions: which index folder, which model, one
searcher."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from index.builds import BuildReport, VectorModel, build_index
from index.search import Searcher

if TYPE_CHECKING:
    from index.embedding import Embedder, MultilingualEmbedder
    from index.routing import Router


def index_dir_for(settings: Settings, knowledge_dir: Path | None = None) -> Path:
    """The index folder of a knowledge folder: the default one, or one per other folder."""
    knowledge_dir = Path(knowledge_dir or settings.KNOWLEDGE_DIR).resolve()
    if knowledge_dir == Path(settings.KNOWLEDGE_DIR).resolve():
        return settings.index_dir
    return settings.STATE_DIR / "indexes" / hashlib.sha256(str(knowledge_dir).encode()).hexdigest()[:12]


def encoder(settings: Settings) -> Embedder:
    """The embedding function for the configured model (loaded once per process)."""
    from index.embedding import get_embedder

    embedder = get_embedder(settings.EMBEDDING_MODEL)
    return embedder


def multilingual_encoder() -> MultilingualEmbedder:
    """The multilingual model for questions in French, Spanish and Portuguese (loaded once per
    process)."""
    from index.embedding import get_multilingual_embedder

    return get_multilingual_embedder()


def build(settings: Settings, knowledge_dir: Path | None = None, force: bool = False,
          progress: bool | None = None) -> BuildReport:
    """Build (incrementally) and publish the index of a knowledge folder, with the vectors of both
    models."""
    embedder, second = encoder(settings), multilingual_encoder()
    show = sys.stderr.isatty() if progress is None else progress
    return build_index(
        Path(knowledge_dir or settings.KNOWLEDGE_DIR), index_dir_for(settings, knowledge_dir),
        model=settings.EMBEDDING_MODEL, embed=lambda texts: embedder.encode(texts, progress=show),
        dimension=embedder.dimension, keep_builds=settings.INDEX_KEEP_BUILDS, force=force,
        multilingual=VectorModel(second.model_name, second.dimension,
                                 lambda texts: second.encode(texts, progress=show)),
    )


def make_searcher(settings: Settings, knowledge_dir: Path | None = None) -> Searcher:
    """A searcher over the published index (it loads lazily and follows new builds on reload)."""
    return Searcher(index_dir_for(settings, knowledge_dir), encoder(settings).encode, settings.ANSWERABLE_THRESHOLD,
                    multilingual_encode=multilingual_encoder().encode)


def make_router(settings: Settings, knowledge_dir: Path | None = None) -> Router:
    """The programme router over a knowledge folder and its published index (raises ValueError if
    unusable).

    The relevance threshold is `settings.ROUTING_THRESHOLD` when the settings define one, otherwise
    `index.routing.RELEVANCE_THRESHOLD`.
    """
    from index.routing import RELEVANCE_THRESHOLD, Router

    knowledge_dir = Path(knowledge_dir or settings.KNOWLEDGE_DIR)
    threshold = float(getattr(settings, "ROUTING_THRESHOLD", RELEVANCE_THRESHOLD))
    return Router.from_folder(knowledge_dir, encoder(settings).encode, index_dir_for(settings, knowledge_dir), threshold,
                              multilingual_encode=multilingual_encoder().encode)
