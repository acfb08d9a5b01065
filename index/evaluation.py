"""Quality figures on the labelled sets of tests/eval/: knowledge search and programme routing.

Search (tests/eval/questions.yaml): hit@1, hit@3 and MRR by programme for each ranker, off-topic
rejection and threshold calibration.

Routing (tests/eval/routing.yaml), definitions printed with the report:
- top-1: the first recommendation is one of the item's acceptable programmes (any of `programmes`,
  not only the first label); "strict top-1" also reports the first label only.
- top-3: one of the first three recommendations is acceptable.
- per programme: items grouped by their first label.
- SIYB package: over items labelled with a `package` where siyb is among the first three
  recommendations, the package siyb proposes equals the label.
- off-topic: share of off-topic texts routed to nothing (an empty list).
The report also prints the relevance threshold that best separates on- from off-topic texts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from index.search import Mode, Searcher

if TYPE_CHECKING:
    from index.routing import Recommendation, Router

MODES: tuple[Mode, ...] = ("dense", "lexical", "fused")


@dataclass
class ModeReport:
    mode: str
    by_programme: dict[str, dict[str, float]] = field(default_factory=dict)
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    on_topic_answerable: float = 0.0
    off_topic_rejected: float = 0.0
    threshold: float = 0.0
    on_scores: list[float] = field(default_factory=list)
    off_scores: list[float] = field(default_factory=list)


def load_set(path: Path, key: str) -> tuple[list[dict[str, Any]], list[str]]:
    """A labelled set: its items (the list under `key`) and its `off_topic` texts (none when
    absent)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return data[key], data.get("off_topic", [])


def load_questions(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The search set: `questions` (each `q` and its `programme`) and `off_topic`."""
    return load_set(path, "questions")


def load_routing_set(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The routing set: `descriptions` (each `text`, `programmes`, maybe `package`) and `off_topic`.
    """
    return load_set(path, "descriptions")


def calibrate(on_scores: list[float], off_scores: list[float]) -> float:
    """The threshold that best separates on-topic from off-topic top scores.

    It maximises the lower of the two rates (on-topic answerable, off-topic rejected), breaking
    ties by their sum, then takes the middle of the best interval so it is not tight to a sample.
    """
    candidates = sorted(set(np.round(on_scores + off_scores, 4).tolist()))
    best_key, best = None, []
    for t in candidates:
        on = np.mean([s >= t for s in on_scores])
        off = np.mean([s < t for s in off_scores])
        key = (min(on, off), on + off)
        if best_key is None or key > best_key:
            best_key, best = key, [t]
        elif key == best_key:
            best.append(t)
    if not best:
        return 0.5
    lower = max([s for s in off_scores if s < best[0]], default=best[0])
    return round((lower + best[-1]) / 2, 4) if lower < best[0] else best[0]


def evaluate(searcher: Searcher, questions: list[dict], off_topic: list[str], mode: Mode) -> ModeReport:
    report = ModeReport(mode=mode, threshold=searcher.threshold)
    per: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for item in questions:
        response = searcher.search(item["q"], k=10, mode=mode)
        programmes = [r.programme for r in response.results]
        rank = programmes.index(item["programme"]) + 1 if item["programme"] in programmes else 0
        per[item["programme"]].append((rank == 1, 0 < rank <= 3, 1 / rank if rank else 0.0))
        report.on_scores.append(searcher.relevance(item["q"], mode))
    for text in off_topic:
        report.off_scores.append(searcher.relevance(text, mode))
    rows = [r for v in per.values() for r in v]
    report.by_programme = {p: {"n": len(v), "hit@1": float(np.mean([r[0] for r in v])),
                               "hit@3": float(np.mean([r[1] for r in v])), "mrr": float(np.mean([r[2] for r in v]))}
                           for p, v in sorted(per.items())}
    report.hit1, report.hit3, report.mrr = (float(np.mean([r[i] for r in rows])) for i in range(3))
    # The configured threshold is the fused ranker's; the baselines get their own calibrated one.
    threshold = searcher.threshold if mode == "fused" else calibrate(report.on_scores, report.off_scores)
    report.threshold = threshold
    if mode == "fused":  # the real verdict, as `ask` gives it
        report.on_topic_answerable = float(np.mean([searcher.search(q["q"], 1).answerable for q in questions]))
        report.off_topic_rejected = float(np.mean([not searcher.search(t, 1).answerable for t in off_topic] or [True]))
    else:
        report.on_topic_answerable = float(np.mean([s >= threshold for s in report.on_scores]))
        report.off_topic_rejected = float(np.mean([s < threshold for s in report.off_scores])) if off_topic else 1.0
    return report


def format_reports(reports: list[ModeReport]) -> str:
    """A side-by-side table: one row per programme, hit@1 / hit@3 / MRR per ranker."""
    head = f"{'programme':<24}{'n':>4}" + "".join(f"  {m.mode + ' h@1/h@3/MRR':>26}" for m in reports)
    lines = [head, "-" * len(head)]
    for p in reports[0].by_programme:
        row = f"{p:<24}{reports[0].by_programme[p]['n']:>4}"
        for m in reports:
            s = m.by_programme[p]
            row += f"  {s['hit@1']:>8.2f} {s['hit@3']:>8.2f} {s['mrr']:>8.2f}"
        lines.append(row)
    lines.append("-" * len(head))
    lines.append(f"{'ALL':<28}" + "".join(f"  {m.hit1:>8.3f} {m.hit3:>8.3f} {m.mrr:>8.3f}" for m in reports))
    for m in reports:
        lines.append(f"{m.mode:>8}: threshold {m.threshold:.3f}  on-topic answerable "
                     f"{m.on_topic_answerable:.3f}  "
                     f"off-topic rejected {m.off_topic_rejected:.3f}  (calibrated threshold would be "
                     f"{calibrate(m.on_scores, m.off_scores):.3f})")
    return "\n".join(lines)


# --- programme routing ---------------------------------------------------------------------------

BARS = {"top-1": 0.92, "top-3": 0.98, "package": 0.85, "off-topic empty": 0.90}


@dataclass
class RoutingReport:
    n: int = 0
    top1: float = 0.0
    strict_top1: float = 0.0
    top3: float = 0.0
    package: float = 0.0
    package_n: int = 0
    off_topic_empty: float = 0.0
    off_topic_n: int = 0
    mean_recommendations: float = 0.0
    threshold: float = 0.0
    calibrated: float = 0.0
    by_programme: dict[str, dict[str, float]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {"top-1": self.top1, "top-3": self.top3, "package": self.package, "off-topic empty": self.off_topic_empty}


def _mean(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _separating(on: list[float], off: list[float]) -> float:
    """The middle of the gap when the two sets separate cleanly, else `calibrate`'s best value."""
    if max(off) < min(on):
        return round((max(off) + min(on)) / 2, 3)
    return calibrate(on, off)


def evaluate_routing(router: Router, items: list[dict[str, Any]], off_topic: list[str]) -> RoutingReport:
    """Route every labelled text and off-topic text; collect the figures and the misses."""
    report = RoutingReport(n=len(items), off_topic_n=len(off_topic), threshold=router.threshold)
    per: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    top1, strict, top3, packages, sizes = [], [], [], [], []
    for item in items:
        recs: list[Recommendation] = router.route(item["text"])
        ids = [r.programme for r in recs]
        ok = set(item["programmes"])
        hit1, hit3 = bool(ids) and ids[0] in ok, bool(ok & set(ids[:3]))
        top1.append(hit1)
        strict.append(bool(ids) and ids[0] == item["programmes"][0])
        top3.append(hit3)
        sizes.append(len(recs))
        per[item["programmes"][0]].append((hit1, hit3))
        siyb = next((r for r in recs[:3] if r.programme == "siyb"), None)
        if item.get("package") and siyb:
            packages.append(siyb.package == item["package"])
            if siyb.package != item["package"]:
                report.misses.append(f"package {siyb.package} (want {item['package']}): {item['text']}")
        if not hit1:
            report.misses.append(f"{'/'.join(ids[:3]) or '[]'} (want "
                                 f"{'/'.join(item['programmes'])}): {item['text']}")
    off_empty = [not router.route(text) for text in off_topic]
    for text, empty in zip(off_topic, off_empty):
        if not empty:
            report.misses.append(f"off-topic routed: {text}")
    report.top1, report.strict_top1, report.top3 = _mean(top1), _mean(strict), _mean(top3)
    report.package, report.package_n = _mean(packages), len(packages)
    report.off_topic_empty = _mean(off_empty) if off_topic else 1.0
    report.mean_recommendations = sum(sizes) / len(sizes) if sizes else 0.0
    report.by_programme = {p: {"n": len(v), "top-1": _mean([a for a, _ in v]), "top-3": _mean([b for _, b in v])}
                           for p, v in sorted(per.items())}
    if router.searcher is not None:
        on = [router.searcher.relevance(item["text"]) for item in items]
        off = [router.searcher.relevance(text) for text in off_topic]
        report.calibrated = _separating(on, off) if off else router.threshold
    return report


def format_routing_report(report: RoutingReport, source: str = "") -> str:
    lines = [f"programme routing: {report.n} descriptions, {report.off_topic_n} off-topic {source}".rstrip(),
             f"{'programme (first label)':<26}{'n':>4}{'top-1':>8}{'top-3':>8}", "-" * 46]
    for p, s in report.by_programme.items():
        lines.append(f"{p:<26}{s['n']:>4}{s['top-1']:>8.2f}{s['top-3']:>8.2f}")
    lines.append("-" * 46)
    for name, value in report.figures().items():
        verdict = "ok" if value >= BARS[name] else "BELOW"
        lines.append(f"{name:<18}{value:>7.3f}   (bar {BARS[name]:.2f}: {verdict})")
    lines += [
        f"strict top-1 (first label only) {report.strict_top1:.3f}; package accuracy over "
        f"{report.package_n} items "
        f"where siyb is in the top 3; {report.mean_recommendations:.2f} recommendations per text on average",
        "top-1 counts a hit when the first recommendation is ANY acceptable programme of the item; "
        "top-3 when any of the first three is.",
        f"relevance threshold {report.threshold:.3f} (calibrated on this set: {report.calibrated:.3f})",
    ]
    if report.misses:
        lines.append("misses:")
        lines += [f"  {m}" for m in report.misses]
    return "\n".join(lines)


def run_routing_eval(router: Router, path: Path) -> str:
    """Report on the labelled set at `path` with a router over the (already indexed) knowledge
    folder."""
    items, off_topic = load_routing_set(path)
    return format_routing_report(evaluate_routing(router, items, off_topic), f"({path})")


# --- questions in several languages --------------------------------------------------------------

LANGUAGE_ORDER = ("en", "fr", "es", "pt")
PARTS = ("tuned", "held-out")


@dataclass
class LanguagePart:
    """The figures of one language on one part of the set (tuned or held-out)."""

    n: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    off_n: int = 0
    off_rejected: float = 0.0
    detected: float = 0.0  # share of its questions detected as that language


@dataclass
class LanguageReport:
    language: str
    parts: dict[str, LanguagePart] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # tuned part only: held-out ones are never shown
    on_scores: list[float] = field(default_factory=list)  # tuned part: relevance of on-topic questions
    off_scores: list[float] = field(default_factory=list)  # tuned part: relevance of off-topic ones


def load_multilingual(path: Path) -> list[dict[str, Any]]:
    """The multilingual set: `questions`, each `q`, `lang`, `programme` (null: off-topic), `heldout`."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["questions"]


def _language_part(searcher: Searcher, items: list[dict[str, Any]], report: LanguageReport | None) -> LanguagePart:
    """Search every item as `ask` does (language detected); with `report`, collect misses and scores."""
    from index.language import detect

    hits1, hits3, rejected, detected = [], [], [], []
    for item in items:
        response = searcher.search(item["q"], k=10)
        detected.append(detect(item["q"]) == item["lang"])
        relevance = searcher.relevance(item["q"]) if report is not None else 0.0
        if item["programme"] is None:
            rejected.append(not response.answerable)
            if report is not None:
                report.off_scores.append(relevance)
                if response.answerable:
                    report.misses.append(f"off-topic answered ({relevance:.3f}): {item['q']}")
            continue
        ids = [r.programme for r in response.results]
        hits1.append(bool(ids) and ids[0] == item["programme"])
        hits3.append(item["programme"] in ids[:3])
        if report is not None:
            report.on_scores.append(relevance)
            if not hits1[-1] or not response.answerable:
                report.misses.append(f"{'/'.join(ids[:3]) or '[]'} (want {item['programme']}"
                                     f"{', not answerable' if not response.answerable else ''}): {item['q']}")
    return LanguagePart(len(hits1), _mean(hits1), _mean(hits3), len(rejected), _mean(rejected), _mean(detected))


def evaluate_languages(searcher: Searcher, items: list[dict[str, Any]]) -> list[LanguageReport]:
    """Per language: hit@1, hit@3 and off-topic rejection on the tuned and the held-out part."""
    reports = []
    for language in [lang for lang in LANGUAGE_ORDER if any(i["lang"] == lang for i in items)]:
        report = LanguageReport(language)
        mine = [i for i in items if i["lang"] == language]
        report.parts["tuned"] = _language_part(searcher, [i for i in mine if not i.get("heldout")], report)
        report.parts["held-out"] = _language_part(searcher, [i for i in mine if i.get("heldout")], None)
        reports.append(report)
    return reports


def format_language_reports(reports: list[LanguageReport], source: str = "") -> str:
    """hit@1, hit@3, off-topic rejected and language detected per language, tuned | held-out; the
    tuned part's misses and the threshold it would calibrate for the non-English languages."""
    lines = [f"questions by language {source}".rstrip(),
             f"{'language':<10}{'n':>9}{'hit@1':>14}{'hit@3':>14}{'off-topic rejected':>22}{'detected':>14}",
             f"{'':<10}{'tuned|held':>9}{'tuned|held':>14}{'tuned|held':>14}{'tuned|held':>22}{'tuned|held':>14}",
             "-" * 83]
    for r in reports:
        t, h = r.parts["tuned"], r.parts["held-out"]
        lines.append(f"{r.language:<10}{f'{t.n}|{h.n}':>9}{f'{t.hit1:.2f}|{h.hit1:.2f}':>14}"
                     f"{f'{t.hit3:.2f}|{h.hit3:.2f}':>14}{f'{t.off_rejected:.2f}|{h.off_rejected:.2f}':>22}"
                     f"{f'{t.detected:.2f}|{h.detected:.2f}':>14}")
    lines.append("-" * 83)
    others = [r for r in reports if r.language != "en"]
    on = [s for r in others for s in r.on_scores]
    off = [s for r in others for s in r.off_scores]
    if on and off:
        lines.append(f"fr/es/pt relevance threshold calibrated on the tuned part: {calibrate(on, off):.3f}")
    misses = [f"  [{r.language}] {m}" for r in reports for m in r.misses]
    if misses:
        lines += ["misses (tuned part only):", *misses]
    return "\n".join(lines)


def run_language_eval(searcher: Searcher, path: Path) -> str:
    """Report on the multilingual set at `path`."""
    return format_language_reports(evaluate_languages(searcher, load_multilingual(path)), f"({path})")
