"""Offline place resolution (index/places.py): real cities, spellings, country qualifiers, ambiguity."""

from __future__ import annotations

import time

import pytest

from index.places import country_code, country_name, fold, nearest_place, resolve_place

# (text, country it must resolve to, name it must resolve to or None for any)
CITIES = [
    # Africa
    ("Kampala", "UG", "Kampala"), ("Gulu", "UG", "Gulu"), ("Nairobi", "KE", "Nairobi"), ("Mombasa", "KE", None),
    ("Kisumu", "KE", None), ("Accra", "GH", "Accra"), ("Kumasi", "GH", None), ("Tamale", "GH", None),
    ("Dakar", "SN", "Dakar"), ("Touba", "SN", None), ("Addis Ababa", "ET", "Addis Ababa"), ("Bahir Dar", "ET", None),
    ("Dar es Salaam", "TZ", "Dar es Salaam"), ("Arusha", "TZ", None), ("Lagos", "NG", "Lagos"), ("Kano", "NG", None),
    ("Kigali", "RW", None), ("Lusaka", "ZM", None), ("Maputo", "MZ", None), ("Abidjan", "CI", None),
    ("Ouagadougou", "BF", None), ("Goma", "CD", None), ("Juba", "SS", None),
    # Arab States and North Africa
    ("Cairo", "EG", "Cairo"), ("Alexandria", "EG", "Alexandria"), ("Amman", "JO", "Amman"), ("Irbid", "JO", None),
    ("Zarqa", "JO", None), ("Beirut", "LB", "Beirut"), ("Erbil", "IQ", None), ("Sanaa", "YE", None),
    ("Casablanca", "MA", None), ("Tunis", "TN", None),
    # Asia and the Pacific
    ("Mumbai", "IN", "Mumbai"), ("Ahmedabad", "IN", None), ("Dhaka", "BD", "Dhaka"), ("Hanoi", "VN", None),
    ("Ho Chi Minh City", "VN", "Ho Chi Minh City"), ("Jakarta", "ID", None), ("Surabaya", "ID", None),
    ("Manila", "PH", None), ("Davao", "PH", None), ("Lahore", "PK", None), ("Karachi", "PK", None),
    ("Bishkek", "KG", "Bishkek"), ("Osh", "KG", "Osh"), ("Kathmandu", "NP", None), ("Phnom Penh", "KH", None),
    ("Colombo", "LK", "Colombo"),
    # Latin America
    ("Lima", "PE", "Lima"), ("Cusco", "PE", None), ("Arequipa", "PE", None), ("La Paz", "BO", "La Paz"),
    ("Cochabamba", "BO", None), ("Recife", "BR", None), ("Belo Horizonte", "BR", None), ("Cali", "CO", "Cali"),
    ("Quito", "EC", None), ("Tegucigalpa", "HN", None), ("Port-au-Prince", "HT", None),
    # Europe and Central Asia
    ("Sarajevo", "BA", "Sarajevo"), ("Mostar", "BA", None), ("Banja Luka", "BA", None), ("Paris", "FR", "Paris"),
    ("Tbilisi", "GE", None), ("Skopje", "MK", None), ("Chisinau", "MD", None),
]

# Short names that a substring search would send to a bigger place containing them.
SUBSTRING_TRAPS = [
    ("Kampala", "UG", "Kampala"), ("Osh", "KG", "Osh"), ("Male", "MV", "Male"), ("Jos", "NG", "Jos"),
    ("Aba", "NG", "Aba"), ("Tema", "GH", "Tema"), ("Ica", "PE", "Ica"), ("Bo", "SL", "Bo"), ("Lima", "PE", "Lima"),
]

ACCENTS_STRIPPED = [
    ("Sao Paulo", "BR", "São Paulo"), ("Bogota", "CO", "Bogotá"), ("Medellin", "CO", "Medellín"),
    ("Cucuta", "CO", "Cúcuta"), ("Thies", "SN", "Thiès"), ("Yaounde", "CM", "Yaoundé"), ("Lome", "TG", "Lomé"),
    ("Segou", "ML", "Ségou"), ("Asuncion", "PY", "Asunción"), ("Zahle", "LB", "Zahlé"),
]

ACCENTED_INPUT = [("São Paulo", "BR"), ("Bogotá", "CO"), ("Medellín", "CO"), ("Łódź", "PL"), ("Yaoundé", "CM")]

ALTERNATE_SPELLINGS = [
    ("Saigon", "VN", "Ho Chi Minh City"), ("Ho Chi Minh", "VN", "Ho Chi Minh City"), ("Bombay", "IN", "Mumbai"),
    ("Calcutta", "IN", "Kolkata"), ("Madras", "IN", "Chennai"), ("Bangalore", "IN", "Bengaluru"),
    ("Chittagong", "BD", None), ("Rangoon", "MM", "Yangon"), ("Addis Abeba", "ET", "Addis Ababa"),
    ("Dar-es-Salaam", "TZ", "Dar es Salaam"), ("dar es salaam", "TZ", "Dar es Salaam"), ("Sana'a", "YE", None),
    ("Hawassa", "ET", None), ("Cebu", "PH", None), ("KAMPALA", "UG", "Kampala"), ("  kampala  ", "UG", "Kampala"),
    ("القاهرة", "EG", "Cairo"), ("Бишкек", "KG", "Bishkek"),
]

COUNTRY_QUALIFIED = [
    ("Kampala, Uganda", "UG", "Kampala"), ("Kampala UG", "UG", "Kampala"), ("Kampala UGA", "UG", "Kampala"),
    ("Lima, Peru", "PE", "Lima"), ("Lima PE", "PE", "Lima"), ("Paris, France", "FR", "Paris"),
    ("Tripoli, Lebanon", "LB", "Tripoli"), ("Tripoli, Libya", "LY", "Tripoli"),
    ("Hyderabad, Pakistan", "PK", "Hyderabad"), ("Hyderabad India", "IN", "Hyderabad"),
    ("San Jose, Costa Rica", "CR", None), ("Valencia, Venezuela", "VE", "Valencia"),
    ("Santa Cruz, Bolivia", "BO", "Santa Cruz de la Sierra"), ("Saint-Louis, Senegal", "SN", "Saint-Louis"),
    ("Cordoba, Spain", "ES", None), ("Hanoi, Viet Nam", "VN", "Hanoi"), ("Hanoi Vietnam", "VN", "Hanoi"),
    ("Dar es Salaam, Tanzania", "TZ", "Dar es Salaam"), ("Addis Ababa Ethiopia", "ET", "Addis Ababa"),
    ("Amman JOR", "JO", "Amman"), ("Sarajevo, Bosnia and Herzegovina", "BA", "Sarajevo"),
    ("Mostar, Bosnia", "BA", "Mostar"), ("Cusco, Perú", "PE", None), ("Saida, Lebanon", "LB", None),
    ("Kampala, Central Region, Uganda", "UG", "Kampala"),
]

PHRASED = [("in Kampala", "UG"), ("near Gulu", "UG"), ("Kampala city", "UG"), ("I am in Nairobi", "KE"),
           ("Mexico", "MX"), ("Kuwait", "KW"), ("Guatemala", "GT")]


def _check(text: str, country: str, name: str | None) -> None:
    result = resolve_place(text)
    assert result.resolved, f"{text!r}: {result.status} {[c.label() for c in result.candidates]}"
    assert result.place is not None and result.place.country == country, f"{text!r} -> {result.place}"
    if name is not None:
        assert result.place.name == name, f"{text!r} -> {result.place}"
    assert -90 <= result.place.latitude <= 90 and -180 <= result.place.longitude <= 180


@pytest.mark.parametrize("text,country,name", CITIES)
def test_real_cities_resolve_to_their_country(text, country, name):
    _check(text, country, name)


def test_cities_cover_every_region():
    assert len(CITIES) >= 35
    countries = {c for _, c, _ in CITIES}
    for needed in ("UG", "KE", "GH", "SN", "ET", "TZ", "NG", "EG", "JO", "LB", "IN", "BD", "VN", "ID", "PH",
                   "PE", "CO", "BO", "BR", "KG", "BA", "PK", "FR"):
        assert needed in countries or needed in {c for _, c, _ in ACCENTS_STRIPPED}


@pytest.mark.parametrize("text,country,name", SUBSTRING_TRAPS)
def test_exact_name_beats_places_that_merely_contain_it(text, country, name):
    _check(text, country, name)


@pytest.mark.parametrize("text,country,name", ACCENTS_STRIPPED)
def test_names_typed_without_accents(text, country, name):
    _check(text, country, name)


@pytest.mark.parametrize("text,country", ACCENTED_INPUT)
def test_names_typed_with_accents(text, country):
    _check(text, country, None)


@pytest.mark.parametrize("text,country,name", ALTERNATE_SPELLINGS)
def test_alternate_and_historical_spellings(text, country, name):
    _check(text, country, name)


@pytest.mark.parametrize("text,country,name", COUNTRY_QUALIFIED)
def test_country_qualifier_picks_the_right_city(text, country, name):
    _check(text, country, name)


@pytest.mark.parametrize("text,country", PHRASED)
def test_filler_words_suffixes_and_namesake_capitals(text, country):
    _check(text, country, None)


@pytest.mark.parametrize("text", ["Xyzzyville", "Qwertyuiop Asdfgh", "", "   ", "12345"])
def test_unknown_place(text):
    result = resolve_place(text)
    assert result.status == "unknown" and result.place is None


def test_unknown_place_with_a_typo_suggests_the_real_one():
    result = resolve_place("Kampla")
    assert result.status == "unknown"
    assert result.candidates and result.candidates[0].name == "Kampala"


def test_city_in_the_wrong_country_is_unknown_but_suggests_the_real_one():
    result = resolve_place("Kampala, Kenya")
    assert result.status == "unknown"
    assert [c.country for c in result.candidates] == ["UG"]


@pytest.mark.parametrize("text,countries", [
    ("San Jose", {"US", "CR"}), ("Hyderabad", {"IN", "PK"}), ("Valencia", {"ES", "VE"}),
    ("Saint-Louis", {"SN", "US"}),
])
def test_ambiguous_place_offers_candidates(text, countries):
    result = resolve_place(text)
    assert result.status == "ambiguous" and result.place is None
    assert 2 <= len(result.candidates) <= 3
    assert countries <= {c.country for c in result.candidates}
    pops = [c.population for c in result.candidates]
    assert len(set((c.name, c.country) for c in result.candidates)) == len(pops)


def test_a_country_alone_asks_which_city():
    result = resolve_place("Uganda")
    assert result.status == "ambiguous"
    assert result.candidates[0].name == "Kampala" and all(c.country == "UG" for c in result.candidates)


def test_dominant_city_wins_over_small_namesakes():
    assert resolve_place("Paris").place.country == "FR"  # Paris, Texas is far smaller
    assert resolve_place("Alexandria").place.country == "EG"  # not Alexandria, Virginia
    assert resolve_place("Lima").place.country == "PE"  # not Lima, Ohio


def test_country_helpers():
    assert country_code("Viet Nam") == country_code("vietnam") == country_code("VN") == country_code("vnm") == "VN"
    assert country_code("Côte d'Ivoire") == "CI" and country_code("Bosnia and Herzegovina") == "BA"
    assert country_code("Atlantis") is None
    assert country_name("UG") == "Uganda"
    assert fold("  São  Paulo! ") == "sao paulo" and fold("Dar-es-Salaam") == "dar es salaam"


def test_nearest_place_names_the_country_of_a_shared_location():
    assert nearest_place(0.35, 32.6).country == "UG"
    assert nearest_place(-12.05, -77.04).name == "Lima"


def test_results_do_not_depend_on_earlier_lookups():
    before = [resolve_place(t) for t in ("Kampala", "Saida", "San Jose")]
    resolve_place.cache_clear()
    resolve_place("Москва")  # forces the deferred alternate names to be indexed
    resolve_place("Zzzzqqq")
    resolve_place.cache_clear()
    assert [resolve_place(t) for t in ("Kampala", "Saida", "San Jose")] == before


def test_lookup_is_fast_once_loaded():
    resolve_place("Kampala")
    resolve_place.cache_clear()
    texts = [t for t, _, _ in CITIES] + [t for t, _, _ in COUNTRY_QUALIFIED]
    start = time.perf_counter()
    for text in texts:
        resolve_place(text)
    per_lookup_ms = (time.perf_counter() - start) * 1000 / len(texts)
    assert per_lookup_ms < 2.0, per_lookup_ms


def test_disk_cache_is_written_reused_and_survives_corruption(tmp_path, monkeypatch):
    from index import places

    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    expected = [resolve_place(t) for t in ("Kampala", "San Jose", "Saigon")]
    try:
        for round_ in ("build", "from cache", "corrupt cache"):
            if round_ == "corrupt cache":
                for f in (tmp_path / "cache").glob("places-*.marshal"):
                    f.write_bytes(b"not marshal data")
            places.gazetteer.cache_clear()
            resolve_place.cache_clear()
            assert [resolve_place(t) for t in ("Kampala", "San Jose", "Saigon")] == expected, round_
            assert len(list((tmp_path / "cache").glob("places-*.marshal"))) == 1
    finally:
        monkeypatch.delenv("STATE_DIR")
        places.gazetteer.cache_clear()
        resolve_place.cache_clear()
