"""Retrieval evaluation: hit@1, hit@3 and MRR by programme, off-topic rejection, threshold calibration."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from index.search import Mode, Searcher

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


def load_questions(path: Path) -> tuple[list[dict], list[str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return data["questions"], data.get("off_topic", [])


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
    report.by_programme = {p: {"n": len(v), "hit@1": np.mean([r[0] for r in v]), "hit@3": np.mean([r[1] for r in v]),
                               "mrr": np.mean([r[2] for r in v])} for p, v in sorted(per.items())}
    report.hit1, report.hit3, report.mrr = (float(np.mean([r[i] for r in rows])) for i in range(3))
    # The configured threshold is the fused ranker's; the baselines get their own calibrated one.
    threshold = searcher.threshold if mode == "fused" else calibrate(report.on_scores, report.off_scores)
    report.threshold = threshold
    if mode == "fused":  # the real verdict, as `ask` gives it
        report.on_topic_answerable = float(np.mean([searcher.search(q["q"], 1).answerable for q in questions]))
        report.off_topic_rejected = float(np.mean([not searcher.search(t, 1).answerable for t in off_topic] or [1.0]))
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
        lines.append(f"{m.mode:>8}: threshold {m.threshold:.3f}  on-topic answerable {m.on_topic_answerable:.3f}  "
                     f"off-topic rejected {m.off_topic_rejected:.3f}  (calibrated threshold would be "
                     f"{calibrate(m.on_scores, m.off_scores):.3f})")
    return "\n".join(lines)
