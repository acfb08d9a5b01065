"""The trainer directory: read and validate `knowledge/trainers.csv`, and find the trainers nearest
a point."""

from __future__ import annotations

import csv
import dataclasses
import difflib
import gc
import hashlib
import io
import itertools
import marshal
import math
import operator
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import KnowledgeError
from index.geo import chord_for_km, haversine_km, unit_vectors
from index.knowledge import PROGRAMME_IDS  # the fixed vocabulary of programme ids
from index.places import country_codes

COLUMNS: tuple[str, ...] = (
    "id", "name", "organisation", "programmes", "city", "country",
    "latitude", "longitude", "languages", "phone", "email", "telegram",
)
LIST_SEPARATOR = ";"
# beyond this the nearest trainer is "far": offer the ILO country office instead
DEFAULT_RADIUS_KM = 300.0

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,24}$")
_TELEGRAM = re.compile(r"^(?:@|https://t\.me/)?[A-Za-z][A-Za-z0-9_]{4,31}$")
_COUNTRY_CODES = country_codes()
ErrorSink = Callable[..., None]  # err(message, fix, column=None): reports one problem of a row
_PROGRAMMES_FIX = "use ';'-separated programme ids from: " + ", ".join(PROGRAMME_IDS)


@dataclass(frozen=True, slots=True)
class Trainer:
    """One row of the trainer directory."""

    id: str
    name: str
    organisation: str
    programmes: tuple[str, ...]
    city: str
    country: str
    latitude: float
    longitude: float
    languages: tuple[str, ...]
    phone: str = ""
    email: str = ""
    telegram: str = ""
    line: int = 0  # line of the row in the CSV file

    def to_dict(self) -> dict[str, object]:
        """The CSV columns as JSON-ready values (lists for programmes and languages)."""
        data = asdict(self)
        del data["line"]
        data["programmes"], data["languages"] = list(self.programmes), list(self.languages)
        return data


_FIELDS = tuple(f.name for f in dataclasses.fields(Trainer))


# ISO 639 codes of the languages trainers list, and a few more, as people name them (others show as
# their code).
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "pt": "Portuguese", "ar": "Arabic", "sw": "Swahili",
    "so": "Somali", "am": "Amharic", "ha": "Hausa", "yo": "Yoruba", "ig": "Igbo", "tw": "Twi", "dag": "Dagbani",
    "wo": "Wolof", "lg": "Luganda", "ach": "Acholi", "rw": "Kinyarwanda", "zu": "Zulu", "xh": "Xhosa",
    "om": "Oromo", "ti": "Tigrinya", "ln": "Lingala", "mg": "Malagasy", "bn": "Bengali", "hi": "Hindi",
    "ur": "Urdu", "pa": "Punjabi", "gu": "Gujarati", "ta": "Tamil", "ne": "Nepali", "si": "Sinhala",
    "vi": "Vietnamese", "km": "Khmer", "lo": "Lao", "my": "Burmese", "th": "Thai", "id": "Indonesian",
    "tl": "Tagalog", "ceb": "Cebuano", "zh": "Chinese", "ru": "Russian", "ky": "Kyrgyz", "uz": "Uzbek",
    "tg": "Tajik", "tr": "Turkish", "fa": "Persian", "ps": "Pashto", "ku": "Kurdish", "bs": "Bosnian",
    "sr": "Serbian", "uk": "Ukrainian", "ro": "Romanian", "qu": "Quechua", "ay": "Aymara", "gn": "Guarani",
    "ht": "Haitian Creole",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code)


def language_code(word: str) -> str | None:
    """The code of a language named in English ("somali" -> "so"), or None."""
    word = word.strip().lower()
    return next((code for code, name in LANGUAGE_NAMES.items() if name.lower() == word), None)


def is_far(distance_km: float, radius_km: float = DEFAULT_RADIUS_KM) -> bool:
    """True when a trainer this far away is too far to suggest without also offering the ILO country
    office."""
    return distance_km > radius_km


def _split(cell: str) -> list[str]:
    """Items of a ';'-separated cell, trimmed and lower-cased, without empties or repeats."""
    if LIST_SEPARATOR not in cell:  # one item (or none): the common case, without the general pass
        item = cell.lower().strip()
        return [item] if item else []
    items = [p.strip() for p in cell.lower().split(LIST_SEPARATOR)]
    return list(dict.fromkeys(p for p in items if p))


def _coordinate(cell: str, column: str, limit: float, err: ErrorSink) -> float | None:
    """Parse a latitude or longitude, reporting a missing, malformed or out-of-range value."""
    if not cell:
        err(f"{column} is missing", f"give the {column} in decimal degrees, e.g. 0.3476", column)
        return None
    try:
        value = float(cell.replace(",", ".") if cell.count(",") == 1 and "." not in cell else cell)
    except ValueError:
        err(f"{column} '{cell}' is not a number", "write decimal degrees such as 32.5825 (no °, N/S/E/W)",
            column)
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        err(f"{column} {cell} is out of range", f"{column} must be between -{limit:g} and {limit:g}", column)
        return None
    return value


def _parse_row(cells: dict[str, str], line: int, err: ErrorSink) -> Trainer | None:
    """Validate one row's cells; report each problem through `err` and return None if any."""
    problems: list[str] = []

    def fail(message: str, fix: str, column: str) -> None:
        problems.append(message)
        err(message, fix, column)

    if not cells["id"]:
        fail("id is missing", "give every trainer a unique id, e.g. T042", "id")
    if not cells["name"]:
        fail("name is missing", "write the trainer's name", "name")
    if not cells["city"]:
        fail("city is missing", "write the city or town where the trainer works", "city")
    programmes = _split(cells["programmes"])
    if not programmes:
        fail("no programme is listed", _PROGRAMMES_FIX, "programmes")
    for p in programmes:
        if p not in PROGRAMME_IDS:
            close = difflib.get_close_matches(p, PROGRAMME_IDS, n=1)
            fail(f"unknown programme id '{p}'" + (f" (did you mean '{close[0]}'?)" if close else ""),
                 _PROGRAMMES_FIX, "programmes")
    country = cells["country"].upper()
    if country not in _COUNTRY_CODES:
        fail(f"unknown country code '{cells['country']}'" if country else "country is missing",
             "use the two-letter ISO 3166 code, e.g. UG for Uganda, VN for Viet Nam", "country")
    lat = _coordinate(cells["latitude"], "latitude", 90.0, fail)
    lon = _coordinate(cells["longitude"], "longitude", 180.0, fail)
    if lat == 0.0 and lon == 0.0:
        fail("latitude and longitude are both 0", "look up the city's real coordinates", "latitude")
    languages = _split(cells["languages"])
    bad_languages = [code for code in languages if not _LANGUAGE.match(code)]
    if not languages or bad_languages:
        fail(f"bad language code '{bad_languages[0]}'" if bad_languages else "no language is listed",
             "use ';'-separated ISO 639 language codes, e.g. en;fr;sw", "languages")
    for column, pattern, example in (("email", _EMAIL, "name@example.org"), ("phone", _PHONE, "+256 700 000000"),
                                     ("telegram", _TELEGRAM, "@username")):
        if cells[column] and not pattern.match(cells[column]):
            fail(f"{column} '{cells[column]}' is not valid", f"write it like {example}, or leave it empty", column)
    if problems or lat is None or lon is None:
        return None
    return Trainer(cells["id"], cells["name"], cells["organisation"], tuple(programmes), cells["city"], country,
                   lat, lon, tuple(languages), cells["phone"], cells["email"], cells["telegram"], line)


def load_trainers(path: str | Path, cache_dir: Path | None = None) -> tuple[list[Trainer], list[KnowledgeError]]:
    """Read the trainer CSV: every valid row, and an error for each invalid one (naming its line and
    column).

    With `cache_dir`, what validating the file found is kept there under a name made of the file's
    bytes and this module's code, so the next process with the same file (a CLI call) reads it in a
    fraction of the time; any edit to the file or to the rules reads and validates it afresh.
    """
    path = Path(path)
    paused = gc.isenabled()
    gc.disable()  # tens of thousands of small objects: the cyclic collector would run again and again
    try:
        return _load_trainers(path, cache_dir)
    finally:
        if paused:
            gc.enable()


def _load_trainers(path: Path, cache_dir: Path | None) -> tuple[list[Trainer], list[KnowledgeError]]:
    if cache_dir is None:
        return _read_and_validate(path)
    try:
        cached = _cache_path(Path(cache_dir), path.read_bytes())
    except OSError:
        return _read_and_validate(path)  # reports the unreadable file
    try:
        rows, problems = marshal.loads(cached.read_bytes())
        return (list(itertools.starmap(Trainer, rows)),
                [KnowledgeError(path, *problem) for problem in problems])
    except (OSError, ValueError, EOFError, TypeError):
        pass
    trainers, errors = _read_and_validate(path)
    data = ([tuple(getattr(t, f) for f in _FIELDS) for t in trainers],
            [(e.line, e.message, e.fix, e.column) for e in errors])
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for old in cached.parent.glob("trainers-*.marshal"):
            old.unlink(missing_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only disk just means no cache
    return trainers, errors


def _cache_path(cache_dir: Path, raw: bytes) -> Path:
    """cache_dir/trainers-<hash>.marshal, the hash of the CSV's bytes, this module and the
    vocabularies."""
    digest = hashlib.sha256(raw)
    digest.update(Path(__file__).read_bytes())
    digest.update(",".join([*PROGRAMME_IDS, "|", *sorted(_COUNTRY_CODES)]).encode())
    return cache_dir / f"trainers-{digest.hexdigest()[:16]}.marshal"


def _read_and_validate(path: Path) -> tuple[list[Trainer], list[KnowledgeError]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [KnowledgeError(path, None, f"cannot read the trainer directory ({exc.strerror or exc})",
                                   "check that the file exists and is readable")]
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return [], [KnowledgeError(path, line, "the file is not UTF-8 text",
                                   "save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    errors: list[KnowledgeError] = []
    if not header or not any(h.strip() for h in header):
        return [], [KnowledgeError(path, 1, "the file has no header row", "start the file with: " + ",".join(COLUMNS))]
    names = [h.strip().lower() for h in header]
    for i, name in enumerate(names):
        if name not in COLUMNS or name in names[:i]:
            what = "repeated" if name in COLUMNS else "unknown"
            errors.append(KnowledgeError(path, 1, f"{what} column '{header[i].strip()}' in the header",
                                         "the header must be: " + ",".join(COLUMNS), header[i].strip()))
    missing = [c for c in COLUMNS if c not in names]
    for column in missing:
        errors.append(KnowledgeError(path, 1, f"the header lacks the column '{column}'",
                                     "the header must be: " + ",".join(COLUMNS), column))
    if [c for c in missing if c != "telegram"]:
        return [], errors
    present = [c for c in COLUMNS if c in names]
    pick = operator.itemgetter(*(names.index(c) for c in present))
    trainers: list[Trainer] = []
    seen: dict[str, int] = {}
    end = reader.line_num
    for row in reader:
        line, end = end + 1, reader.line_num
        if not "".join(row).strip():  # a blank row
            continue

        def err(message: str, fix: str, column: str | None = None, _line: int = line) -> None:
            errors.append(KnowledgeError(path, _line, message, fix, column))

        if len(row) != len(header):
            err(f"the row has {len(row)} cells but the header has {len(header)}",
                "check for a missing or extra comma; quote cells that contain commas")
            continue
        cells = dict(zip(present, map(str.strip, pick(row))))
        cells.setdefault("telegram", "")
        trainer = _parse_row(cells, line, err)
        if trainer is None:
            continue
        if trainer.id in seen:
            err(f"id '{trainer.id}' is already used on line {seen[trainer.id]}", "give each trainer its own id", "id")
            continue
        seen[trainer.id] = line
        trainers.append(trainer)
    return trainers, errors


def validate_trainers_csv(path: str | Path) -> list[KnowledgeError]:
    """Every problem in the trainer CSV (an empty list when it is valid); a file without a single
    trainer row is one: it would empty the trainer directory."""
    trainers, errors = load_trainers(path)
    if not trainers and not errors:
        errors.append(KnowledgeError(Path(path), None, "the file has no trainer rows, only a header: it would "
                                     "empty the trainer directory", "add the trainers' rows under the header"))
    return errors


class TrainerDirectory:
    """Trainers indexed for nearest-first search, with exact programme and language filters.

    Each filter (none, a programme, a language, or both) has its own set of rows, and above
    `BRUTE_FORCE_MAX` rows its own k-d tree over 3-D unit vectors (chord length orders points like
    great-circle distance), so a query never visits rows that do not match. Small sets (the sample
    directory) are searched with one vectorised numpy pass instead, which spares loading scipy.
    """

    BRUTE_FORCE_MAX = 2048

    def __init__(self, trainers: Sequence[Trainer], kd_trees: bool = True):
        """Index the trainers; `kd_trees=False` for a process that asks once (the CLI): one numpy
        pass over 20,000 rows takes a millisecond, importing scipy and building the trees most of a
        second."""
        self.trainers: list[Trainer] = list(trainers)
        self._kd_trees = kd_trees
        self._xyz = unit_vectors(np.array([t.latitude for t in self.trainers], dtype=float),
                                  np.array([t.longitude for t in self.trainers], dtype=float)).reshape(-1, 3)
        groups: dict[tuple[str, str], list[int]] = {}
        for i, t in enumerate(self.trainers):
            for p in t.programmes:
                groups.setdefault(("programme", p), []).append(i)
            for lang in {code for tag in t.languages for code in (tag, tag.split("-")[0])}:
                groups.setdefault(("language", lang), []).append(i)
        self._members = {k: np.array(v, dtype=np.intp) for k, v in groups.items()}
        self._indexes: dict[tuple[str | None, str | None], tuple[np.ndarray, Any]] = {}
        self._lock = threading.Lock()
        # build the common ones now, language filters on first use
        for programme in (None, *PROGRAMME_IDS):
            self._index(programme, None)

    @classmethod
    def from_csv(cls, path: str | Path) -> tuple[TrainerDirectory, list[KnowledgeError]]:
        """Load the CSV (skipping invalid rows) and index it; returns the directory and the row
        errors."""
        trainers, errors = load_trainers(path)
        return cls(trainers), errors

    def __len__(self) -> int:
        return len(self.trainers)

    def _index(self, programme: str | None, language: str | None) -> tuple[np.ndarray, Any]:
        """Row numbers of the trainers that match both filters, and their k-d tree (None for small
        sets)."""
        key = (programme, language)
        if key not in self._indexes:
            with self._lock:
                if key not in self._indexes:
                    rows = np.arange(len(self.trainers), dtype=np.intp)
                    if programme is not None:
                        rows = self._members.get(("programme", programme), rows[:0])
                    if language is not None:
                        rows = np.intersect1d(rows, self._members.get(("language", language), rows[:0]))
                    tree = None
                    if self._kd_trees and len(rows) > self.BRUTE_FORCE_MAX:
                        # only large directories pay for importing scipy
                        from scipy.spatial import cKDTree

                        tree = cKDTree(self._xyz[rows])
                    self._indexes[key] = (rows, tree)
        return self._indexes[key]

    def near(self, lat: float, lon: float, programme: str | None = None, language: str | None = None,
             limit: int = 3, radius_km: float | None = None) -> list[tuple[Trainer, float]]:
        """The `limit` trainers nearest to (lat, lon), nearest first, as (trainer, great-circle km).

        Args:
            programme: only trainers of this programme id.
            language: only trainers who speak this language code (a tag such as "pt-br" matches "pt").
            radius_km: only trainers at most this far; None for no limit.
        """
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"coordinates out of range: {lat}, {lon}")
        if programme is not None and programme not in PROGRAMME_IDS:
            raise ValueError(f"unknown programme id '{programme}'")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        language = language.strip().lower() if language else None
        if language is not None and ("language", language) not in self._members:
            return []  # nobody speaks it (and no index is kept for made-up codes)
        rows, tree = self._index(programme, language)
        if not len(rows):
            return []
        q = unit_vectors(np.array([lat]), np.array([lon]))[0]
        k = min(limit, len(rows))
        if tree is None:
            dot = self._xyz[rows] @ q  # larger dot product = nearer
            part = np.argpartition(-dot, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
            found = rows[part[np.argsort(-dot[part], kind="stable")]]
        else:
            bound = np.inf
            if radius_km is not None:  # chord of the radius, a hair wider: the exact check is below
                bound = chord_for_km(radius_km) * (1 + 1e-9) + 1e-12
            _, idx = tree.query(q, k=k, distance_upper_bound=bound)
            idx = np.atleast_1d(idx)
            found = rows[idx[idx < len(rows)]]
        out = []
        for i in found:
            t = self.trainers[i]
            d = haversine_km(lat, lon, t.latitude, t.longitude)
            if radius_km is None or d <= radius_km:
                out.append((t, d))
        return sorted(out, key=lambda td: td[1])
