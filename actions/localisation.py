"""The bot's four languages (en, fr, es, pt) at the action server's edge: which language a turn is in,
and the bot's own wording in that language. Plain functions, no Rasa imports.

The actions think and write in English. Around each action run (actions/server.py):
- `turn_language` settles the language of the turn: one the user asks for ("en français s'il vous
  plaît"), else the language the message is written in (index.language.detect), else the one the
  conversation already speaks (the `language` slot), else the channel's hint (the widget's
  `data-lang`, Telegram's `language_code`, sent as message metadata), else English;
- `actions.gloss.to_english` gives the actions an English reading of a French, Spanish or Portuguese
  message (the original stays in `latest_message["original_text"]` for the search, which is
  multilingual);
- `localise` rewrites the texts and button titles the action sent, line by line, from the message
  catalogue `actions/messages.yaml` (English text -> the three translations, `{name}` for the parts
  filled in). A line the catalogue does not hold (a knowledge passage, a trainer's name) is left as
  it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.gloss import fold, to_english
from index.language import LANGUAGES, detect, has_marker

DEFAULT = "en"
CATALOGUE = Path(__file__).with_name("messages.yaml")
# "in French please", "en français", "en español por favor", "em português", "in english"
_ASKED = {
    "en": r"(?:in|en|em) (?:english|ingl[eé]s|anglais)",
    "fr": r"(?:in|en|em) (?:french|fran[cç]ais|franc[eê]s)",
    "es": r"(?:in|en|em) (?:spanish|espa[nñ]ol|espagnol|espanhol|castellano)",
    "pt": r"(?:in|en|em) (?:portuguese|portugu[eê]s|portugais)",
}
ASKED = {lang: re.compile(rf"\b{pattern}\b", re.IGNORECASE) for lang, pattern in _ASKED.items()}
# a message that is only a request for a language ("en français svp", "can you speak spanish?")
ONLY_ASKS = re.compile(r"^\W*(?:(?:can|could) you (?:speak|write|answer|talk)|(?:speak|write|answer|talk|parlez|parle|hablar?|hable|fale|falar)"
                       r"(?: vous| usted)?)?\W*(?:(?:in|en|em) )?(?:english|ingl[eé]s|anglais|french|fran[cç]ais|franc[eê]s|"
                       r"spanish|espa[nñ]ol|espagnol|espanhol|castellano|portuguese|portugu[eê]s|portugais)\W*"
                       r"(?:please|pls|s'?il (?:vous|te) pla[iî]t|svp|stp|por favor|porfa)?\W*$", re.IGNORECASE)
_NAMED = {"en": r"english|ingl[eé]s|anglais", "fr": r"french|fran[cç]ais|franc[eê]s",
          "es": r"spanish|espa[nñ]ol|espagnol|espanhol|castellano", "pt": r"portuguese|portugu[eê]s|portugais"}


def asked_for(text: str) -> str | None:
    """The language a message asks the bot to speak ("en français svp", "in Spanish please"), or None."""
    for lang, pattern in ASKED.items():
        if pattern.search(text or ""):
            return lang
    if ONLY_ASKS.match(text or ""):
        for lang, names in _NAMED.items():
            if re.search(names, text, re.IGNORECASE):
                return lang
    return None


def only_asks_for_language(text: str) -> bool:
    """Whether the message says nothing but which language to use ("en español por favor")."""
    return bool(ONLY_ASKS.match(text or ""))


def supported(lang: Any) -> str | None:
    """One of LANGUAGES for a code such as "fr", "pt-BR" or "es_419", else None."""
    code = str(lang or "").lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def turn_language(text: str, remembered: str | None = None, hint: str | None = None) -> str:
    """The language to read and answer this turn in (see the module's docstring for the order).

    A button payload ("/find_trainer") and a message that tells no language ("ok", "Kampala", "SYB?")
    keep the conversation's language.
    """
    if text and not text.startswith("/") and not catalogue().knows(text):  # our own buttons' texts tell nothing
        if asked := asked_for(text):
            return asked
        detected = detect(text) or _SHORT.get(text.lower().strip(" .,!?¡¿"))
        # a word or two ("merci beaucoup" in an English conversation) sets the language, never switches it; nor
        # does a short message without a word of the language's own ("dar es salam", "porto alegre" are places)
        words = len(text.split())
        if detected and (not supported(remembered) or words >= SURE_WORDS
                         or words >= SWITCH_WORDS and has_marker(text, detected)):
            return detected
    return supported(remembered) or supported(hint) or DEFAULT


SWITCH_WORDS = 3  # words a message needs to switch the conversation to another language
SURE_WORDS = 6  # ... and from this many on, even without a marker word


# greetings and replies too short for the detector, that belong to one language only
_SHORT = {**dict.fromkeys(("hola", "buenas", "buenos días", "buenos dias", "gracias", "muchas gracias", "adiós", "adios",
                           "sí", "sí gracias", "vale"), "es"),
          **dict.fromkeys(("bonjour", "bonsoir", "salut", "merci", "merci beaucoup", "oui", "oui merci", "au revoir"), "fr"),
          **dict.fromkeys(("olá", "ola", "oi", "bom dia", "boa tarde", "boa noite", "obrigado", "obrigada", "sim", "não",
                           "tchau"), "pt")}


# --- the message catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    texts: dict[str, str]


@dataclass(frozen=True)
class Catalogue:
    exact: dict[str, dict[str, str]]  # English line -> {lang: translation}
    templates: tuple[_Template, ...]  # lines with {names}, most specific (longest fixed text) first
    typed: dict[tuple[str, str], str]  # (lang, a translation as typed lines are compared) -> English line

    @classmethod
    def load(cls, path: Path = CATALOGUE) -> Catalogue:
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("messages") or []
        exact: dict[str, dict[str, str]] = {}
        templates: list[tuple[int, _Template]] = []
        for entry in entries:
            english = str(entry["en"])
            texts = {lang: str(entry[lang]) for lang in LANGUAGES if entry.get(lang)}
            if "{" not in english:
                exact[english] = texts
                continue
            parts = re.split(r"\{(\w+)\}", english)  # fixed, name, fixed, name, ...
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
            fixed = sum(len(p) for p in parts[::2])
            templates.append((fixed, _Template(re.compile(regex), texts)))
        templates.sort(key=lambda t: -t[0])
        typed = {(lang, to_key(text)): en for en, texts in exact.items() for lang, text in texts.items()}
        return cls(exact, tuple(t for _, t in templates), typed)

    def english(self, text: str, lang: str) -> str | None:
        """The English line of a translated catalogue line typed back ("Agricultura y alimentos" ->
        "Farming & food"), else None."""
        key = to_key(text)
        return self.typed.get((lang, key)) if key and lang != DEFAULT else None

    def knows(self, text: str) -> bool:
        """Whether `text` is one of the catalogue's English lines (a button's text sent back as typed)."""
        stripped = text.strip()
        return stripped in self.exact or any(t.pattern.fullmatch(stripped) for t in self.templates)

    def line(self, text: str, lang: str, depth: int = 0) -> str:
        """One line in `lang`: its catalogue translation, else the line unchanged."""
        if lang == DEFAULT or not text.strip():
            return text
        stripped = text.strip()
        if (texts := self.exact.get(stripped)) and lang in texts:
            return text.replace(stripped, texts[lang])
        if depth and stripped[:1].islower() and (texts := self.exact.get(stripped[0].upper() + stripped[1:])) and lang in texts:
            return texts[lang][0].lower() + texts[lang][1:]  # "find a business idea" inside a sentence
        if depth < 2:
            for template in self.templates:
                if lang in template.texts and (m := template.pattern.fullmatch(stripped)):
                    parts = {k: self.line(v, lang, depth + 1) for k, v in m.groupdict().items()}
                    return text.replace(stripped, template.texts[lang].format(**parts))
        if depth and "; " in stripped:  # a list filled in: "a running business; grow the business"
            return "; ".join(self.line(part, lang, depth) for part in stripped.split("; "))
        return text

    def text(self, text: str, lang: str) -> str:
        """A message in `lang`, line by line."""
        if lang == DEFAULT or not text:
            return text
        return "\n".join(self.line(line, lang) for line in text.split("\n"))


def to_key(text: str) -> str:
    """A line as typed lines are compared: folded, without punctuation ("¡Saltar!" -> "saltar")."""
    return " ".join(re.findall(r"\w+", fold(text)))


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return Catalogue.load()


def say(text: str, lang: str | None) -> str:
    """`text` (an English line of the catalogue) in `lang`."""
    return catalogue().text(text, supported(lang) or DEFAULT)


def localise(responses: list[dict[str, Any]], lang: str | None) -> list[dict[str, Any]]:
    """The messages an action sent, their texts and button titles in `lang` (in place; returned)."""
    lang = supported(lang) or DEFAULT
    if lang == DEFAULT:
        return responses
    book = catalogue()
    for message in responses:
        if isinstance(message.get("text"), str):
            message["text"] = book.text(message["text"], lang)
        if isinstance(message.get("buttons"), list):  # new dicts: the actions' button constants are shared
            message["buttons"] = [dict(b, title=book.line(b["title"], lang)) if isinstance(b, dict) and isinstance(
                b.get("title"), str) else b for b in message["buttons"]]
    return responses


# --- around each action run (actions/server.py) ---------------------------------------------------


def _hint(tracker: dict[str, Any]) -> Any:
    """The channel's language hint: `metadata.language` of the latest user message."""
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            return (event.get("metadata") or {}).get("language")
    return ((tracker.get("latest_message") or {}).get("metadata") or {}).get("language")


def prepare(action_call: dict[str, Any]) -> str:
    """Settle the turn's language in the tracker an action receives (the `language` slot) and give the
    action an English reading of the latest message (the user's words stay in `original_text`).
    Returns the language."""
    tracker = action_call.get("tracker") or {}
    slots = tracker.setdefault("slots", {})
    message = tracker.get("latest_message") or {}
    text = str(message.get("original_text") or message.get("text") or "")
    lang = turn_language(text, slots.get("language"), _hint(tracker))
    slots["language"] = lang
    if lang != DEFAULT and text and not text.startswith("/") and "original_text" not in message:
        message["original_text"] = text
        message["text"] = catalogue().english(text, lang) or to_english(text, lang)  # a typed button label, else the gloss
    return lang


def finish(result: Any, lang: str) -> Any:
    """The action's answer (rasa-sdk's run result, or its dict form) with its messages in the turn's
    language."""
    responses = result.get("responses") if isinstance(result, dict) else getattr(result, "responses", None)
    if isinstance(responses, list):
        localise(responses, lang)
    return result
