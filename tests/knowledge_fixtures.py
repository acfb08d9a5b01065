"""A small knowledge folder written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

PROGRAMME = """---
id: {id}
name: {name}
area: {area}
summary: {summary}
audience: {audience}
stages: [starting, running]
groups: []
url: https://example.org/{id}
---

## What it is

{body}

## How to take part

Contact the national partner organisation or the ILO country office to join {name}.
"""

GUIDE = """---
title: {title}
programme: {programme}
---

## {section}

{body}
"""


def write_small_knowledge(root: Path) -> Path:
    (root / "programmes").mkdir(parents=True, exist_ok=True)
    (root / "guides").mkdir(parents=True, exist_ok=True)
    (root / "programmes" / "siyb.md").write_text(PROGRAMME.format(
        id="siyb", name="Start and Improve Your Business", area="Entrepreneurship and Management Skills",
        summary="Management training for small businesses.", audience="People starting or running a small business.",
        body="Start and Improve Your Business (SIYB) trains entrepreneurs to plan, start and run a small business. "
             "Start Your Business (SYB) helps people with an idea write a business plan."), encoding="utf-8")
    (root / "programmes" / "formalization.md").write_text(PROGRAMME.format(
        id="formalization", name="Enterprise Formalization", area="Enterprise Formalization",
        summary="Helps informal businesses register.", audience="Informal entrepreneurs and governments.",
        body="Enterprise Formalization helps informal businesses register, pay taxes and join social security, "
             "following ILO Recommendation No. 204 (R204), adopted in 2015."), encoding="utf-8")
    (root / "guides" / "record-keeping.md").write_text(GUIDE.format(
        title="Keeping business records", programme="siyb", section="Why keep records",
        body="Write down every sale and every expense each day in a cash book, so you know your real profit."),
        encoding="utf-8")
    return root
