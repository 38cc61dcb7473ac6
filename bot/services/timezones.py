"""Picking an athlete's time zone: a short region → city list, typed names, or a location.

Everything resolves to an IANA name ("Europe/Berlin"), never an offset, so check-ins stay at
the same local time across daylight-saving changes. A typed name is read as people type it
(:func:`read_typed_zone`: "kolkata", "são paulo", "India", "München", "Nueva York"), in
any of our languages: the zones' cities as CLDR (Babel) names them, and a small table
(:data:`_CITY_NAMES`) of the cities that name no zone; what names no single place (a country
on several clocks, a name two places share, a UTC offset, "EST") is refused with why
(:func:`zone_refusal`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel.core import get_global
from babel.dates import get_timezone, get_timezone_location

from bot.support.formats import format_locale, format_or_list
from bot.support.i18n import L_, LANGUAGES, LazyText, current_language
from bot.support.limits import quoted


@dataclass(frozen=True)
class City:
    """A city the picker knows: its label, its IANA zone and where it is."""

    name: str
    zone: str
    lat: float
    lon: float


REGIONS: dict[str, tuple[City, ...]] = {
    "Europe": (
        City("London", "Europe/London", 51.51, -0.13),
        City("Dublin", "Europe/Dublin", 53.35, -6.26),
        City("Lisbon", "Europe/Lisbon", 38.72, -9.14),
        City("Madrid", "Europe/Madrid", 40.42, -3.70),
        City("Paris", "Europe/Paris", 48.86, 2.35),
        City("Berlin", "Europe/Berlin", 52.52, 13.40),
        City("Rome", "Europe/Rome", 41.90, 12.50),
        City("Amsterdam", "Europe/Amsterdam", 52.37, 4.90),
        City("Stockholm", "Europe/Stockholm", 59.33, 18.07),
        City("Warsaw", "Europe/Warsaw", 52.23, 21.01),
        City("Athens", "Europe/Athens", 37.98, 23.73),
        City("Helsinki", "Europe/Helsinki", 60.17, 24.94),
        City("Istanbul", "Europe/Istanbul", 41.01, 28.98),
        City("Moscow", "Europe/Moscow", 55.76, 37.62),
    ),
    "Americas": (
        City("New York", "America/New_York", 40.71, -74.01),
        City("Toronto", "America/Toronto", 43.65, -79.38),
        City("Chicago", "America/Chicago", 41.88, -87.63),
        City("Denver", "America/Denver", 39.74, -104.99),
        City("Phoenix", "America/Phoenix", 33.45, -112.07),
        City("Los Angeles", "America/Los_Angeles", 34.05, -118.24),
        City("Vancouver", "America/Vancouver", 49.28, -123.12),
        City("Mexico City", "America/Mexico_City", 19.43, -99.13),
        City("Bogotá", "America/Bogota", 4.71, -74.07),
        City("Lima", "America/Lima", -12.05, -77.04),
        City("Santiago", "America/Santiago", -33.45, -70.67),
        City("Buenos Aires", "America/Argentina/Buenos_Aires", -34.60, -58.38),
        City("São Paulo", "America/Sao_Paulo", -23.55, -46.63),
        City("Honolulu", "Pacific/Honolulu", 21.31, -157.86),
    ),
    "Africa & Middle East": (
        City("Casablanca", "Africa/Casablanca", 33.57, -7.59),
        City("Lagos", "Africa/Lagos", 6.52, 3.38),
        City("Accra", "Africa/Accra", 5.60, -0.19),
        City("Cairo", "Africa/Cairo", 30.04, 31.24),
        City("Nairobi", "Africa/Nairobi", -1.29, 36.82),
        City("Johannesburg", "Africa/Johannesburg", -26.20, 28.05),
        City("Tel Aviv", "Asia/Jerusalem", 32.09, 34.78),
        City("Riyadh", "Asia/Riyadh", 24.71, 46.68),
        City("Doha", "Asia/Qatar", 25.29, 51.53),
        City("Dubai", "Asia/Dubai", 25.20, 55.27),
        City("Tehran", "Asia/Tehran", 35.69, 51.39),
    ),
    "Asia": (
        City("Karachi", "Asia/Karachi", 24.86, 67.01),
        City("Delhi / Mumbai", "Asia/Kolkata", 28.61, 77.21),
        City("Dhaka", "Asia/Dhaka", 23.81, 90.41),
        City("Bangkok", "Asia/Bangkok", 13.76, 100.50),
        City("Jakarta", "Asia/Jakarta", -6.21, 106.85),
        City("Singapore", "Asia/Singapore", 1.35, 103.82),
        City("Manila", "Asia/Manila", 14.60, 120.98),
        City("Beijing / Shanghai", "Asia/Shanghai", 31.23, 121.47),
        City("Hong Kong", "Asia/Hong_Kong", 22.32, 114.17),
        City("Seoul", "Asia/Seoul", 37.57, 126.98),
        City("Tokyo", "Asia/Tokyo", 35.68, 139.69),
        City("Almaty", "Asia/Almaty", 43.24, 76.89),
    ),
    "Oceania": (
        City("Perth", "Australia/Perth", -31.95, 115.86),
        City("Adelaide", "Australia/Adelaide", -34.93, 138.60),
        City("Brisbane", "Australia/Brisbane", -27.47, 153.03),
        City("Sydney", "Australia/Sydney", -33.87, 151.21),
        City("Melbourne", "Australia/Melbourne", -37.81, 144.96),
        City("Auckland", "Pacific/Auckland", -36.85, 174.76),
        City("Fiji", "Pacific/Fiji", -18.14, 178.44),
    ),
}

# Extra places used only to find the nearest zone to a shared location.
_EXTRA_PLACES = (
    City("Reykjavík", "Atlantic/Reykjavik", 64.15, -21.94),
    City("Oslo", "Europe/Oslo", 59.91, 10.75),
    City("Copenhagen", "Europe/Copenhagen", 55.68, 12.57),
    City("Zurich", "Europe/Zurich", 47.38, 8.54),
    City("Vienna", "Europe/Vienna", 48.21, 16.37),
    City("Prague", "Europe/Prague", 50.08, 14.44),
    City("Brussels", "Europe/Brussels", 50.85, 4.35),
    City("Budapest", "Europe/Budapest", 47.50, 19.04),
    City("Bucharest", "Europe/Bucharest", 44.43, 26.10),
    City("Kyiv", "Europe/Kyiv", 50.45, 30.52),
    City("Belgrade", "Europe/Belgrade", 44.79, 20.45),
    City("Edinburgh", "Europe/London", 55.95, -3.19),
    City("Barcelona", "Europe/Madrid", 41.39, 2.17),
    City("Milan", "Europe/Rome", 45.46, 9.19),
    City("Munich", "Europe/Berlin", 48.14, 11.58),
    City("Halifax", "America/Halifax", 44.65, -63.57),
    City("St. John's", "America/St_Johns", 47.56, -52.71),
    City("Montreal", "America/Toronto", 45.50, -73.57),
    City("Miami", "America/New_York", 25.76, -80.19),
    City("Atlanta", "America/New_York", 33.75, -84.39),
    City("Houston", "America/Chicago", 29.76, -95.37),
    City("Dallas", "America/Chicago", 32.78, -96.80),
    City("Salt Lake City", "America/Denver", 40.76, -111.89),
    City("Seattle", "America/Los_Angeles", 47.61, -122.33),
    City("San Francisco", "America/Los_Angeles", 37.77, -122.42),
    City("Anchorage", "America/Anchorage", 61.22, -149.90),
    City("Caracas", "America/Caracas", 10.48, -66.90),
    City("Montevideo", "America/Montevideo", -34.90, -56.16),
    City("Rio de Janeiro", "America/Sao_Paulo", -22.91, -43.17),
    City("Kingston", "America/Jamaica", 17.97, -76.79),
    City("Dakar", "Africa/Dakar", 14.72, -17.47),
    City("Addis Ababa", "Africa/Addis_Ababa", 9.03, 38.74),
    City("Kinshasa", "Africa/Kinshasa", -4.44, 15.27),
    City("Cape Town", "Africa/Johannesburg", -33.92, 18.42),
    City("Tunis", "Africa/Tunis", 36.81, 10.18),
    City("Kampala", "Africa/Kampala", 0.35, 32.58),
    City("Colombo", "Asia/Colombo", 6.93, 79.86),
    City("Kathmandu", "Asia/Kathmandu", 27.72, 85.32),
    City("Tashkent", "Asia/Tashkent", 41.30, 69.24),
    City("Kuala Lumpur", "Asia/Kuala_Lumpur", 3.14, 101.69),
    City("Ho Chi Minh City", "Asia/Ho_Chi_Minh", 10.82, 106.63),
    City("Taipei", "Asia/Taipei", 25.03, 121.57),
    City("Osaka", "Asia/Tokyo", 34.69, 135.50),
    City("Vladivostok", "Asia/Vladivostok", 43.12, 131.89),
    City("Novosibirsk", "Asia/Novosibirsk", 55.01, 82.93),
    City("Yekaterinburg", "Asia/Yekaterinburg", 56.84, 60.61),
    City("Darwin", "Australia/Darwin", -12.46, 130.84),
    City("Hobart", "Australia/Hobart", -42.88, 147.33),
    City("Wellington", "Pacific/Auckland", -41.29, 174.78),
    City("Port Moresby", "Pacific/Port_Moresby", -9.44, 147.18),
)

# The number to call in a medical emergency, by country (ISO 3166 code), first the one to call
# first. A country not listed gets 112, which the GSM standard routes to the emergency services
# from any mobile phone in most countries. France: 15 (SAMU, the medical emergency service);
# Switzerland and Austria: 144 (ambulance); Brazil: 192 (SAMU); Argentina: 107 (ambulance).
EMERGENCY_NUMBERS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("US", "CA", "MX", "PR", "GU", "VI", "AS", "MP", "UY", "PA", "CR", "SV", "HN", "DO"),
        ("911",),
    ),
    "GB": ("999", "112"),
    "IE": ("112", "999"),
    "FR": ("15", "112"),
    "CH": ("144", "112"),
    "AT": ("144", "112"),
    "AU": ("000", "112"),
    "NZ": ("111",),
    "JP": ("119",),
    "KR": ("119",),
    "CN": ("120",),
    "HK": ("999",),
    "SG": ("995",),
    "ZA": ("10177", "112"),
    "BR": ("192",),
    "AR": ("107", "911"),
    "CL": ("131",),
    "CO": ("123",),
}
DEFAULT_EMERGENCY_NUMBER = "112"


# The regions of the picker in the reader's words (the keys stay the stored answers).
REGION_NAMES: dict[str, LazyText] = {
    "Europe": L_("Europe"),
    "Americas": L_("Americas"),
    "Africa & Middle East": L_("Africa & Middle East"),
    "Asia": L_("Asia"),
    "Oceania": L_("Oceania"),
}


# Why a typed time zone is refused, and what to type instead. An athlete can tap a region;
# staff are told how /timezone is used after the first sentence.
ZONE_OFFSET = L_("A UTC offset doesn't follow summer time. Type your city or tap a region.")
ZONE_OFFSET_STAFF = L_("A UTC offset doesn't follow summer time.")
ZONE_ABBREVIATION = L_(
    "An abbreviation like IST can mean several places. Type your city or tap a region."
)
ZONE_ABBREVIATION_STAFF = L_("An abbreviation like IST can mean several places.")
ZONE_COUNTRY = L_("{country} has several time zones. Type your city, e.g. {examples}.")
# TRANSLATORS: the message above for a country whose English name is plural ("The US Outlying
# Islands have ..."); translate it as that one.
ZONE_COUNTRY_PLURAL = L_("{country} have several time zones. Type your city, e.g. {examples}.")
ZONE_CHOICES = L_("“{typed}” could be {places}. Type the city with its country, e.g. {example}.")


def region_label(region: str) -> str:
    """Return a region of the picker ("Europe") in the current language ("Europa")."""
    found = REGION_NAMES.get(region)
    return str(found) if found is not None else region


# Cities people type that CLDR does not name (it names one city per zone: Berlin, not Munich)
# in English, Spanish, Portuguese, French and German, then other spellings (local, old,
# without umlauts). Only places no other known place shares a name with: "Colonia" is also
# Colonia del Sacramento, so both are here and the athlete is asked which.
# fmt: off
_CITY_NAMES: tuple[tuple[str, str, tuple[str, str, str, str], tuple[str, ...]], ...] = (
    # English, zone, (Spanish, Portuguese, French, German), other spellings
    ("Munich", "Europe/Berlin", ("Múnich", "Munique", "Munich", "München"), ("Muenchen",)),
    ("Cologne", "Europe/Berlin", ("Colonia", "Colônia", "Cologne", "Köln"), ("Koeln",)),
    ("Hamburg", "Europe/Berlin", ("Hamburgo", "Hamburgo", "Hambourg", "Hamburg"), ()),
    ("Frankfurt", "Europe/Berlin", ("Fráncfort", "Frankfurt", "Francfort", "Frankfurt"),
     ("Frankfurt am Main", "Francfort-sur-le-Main")),
    ("Barcelona", "Europe/Madrid", ("Barcelona", "Barcelona", "Barcelone", "Barcelona"), ()),
    ("Seville", "Europe/Madrid", ("Sevilla", "Sevilha", "Séville", "Sevilla"), ()),
    ("Milan", "Europe/Rome", ("Milán", "Milão", "Milan", "Mailand"), ("Milano",)),
    ("Geneva", "Europe/Zurich", ("Ginebra", "Genebra", "Genève", "Genf"), ()),
    ("Porto", "Europe/Lisbon", ("Oporto", "Porto", "Porto", "Porto"), ("Oporto",)),
    ("Marseille", "Europe/Paris", ("Marsella", "Marselha", "Marseille", "Marseille"),
     ("Marseilles",)),
    ("Lyon", "Europe/Paris", ("Lyon", "Lyon", "Lyon", "Lyon"), ("Lyons",)),
    ("Edinburgh", "Europe/London", ("Edimburgo", "Edimburgo", "Édimbourg", "Edinburgh"), ()),
    ("Montreal", "America/Toronto", ("Montreal", "Montreal", "Montréal", "Montreal"), ()),
    ("Rio de Janeiro", "America/Sao_Paulo",
     ("Río de Janeiro", "Rio de Janeiro", "Rio de Janeiro", "Rio de Janeiro"), ("Rio",)),
    ("Colonia del Sacramento", "America/Montevideo",
     ("Colonia del Sacramento", "Colonia do Sacramento", "Colonia del Sacramento",
      "Colonia del Sacramento"), ("Colonia",)),
    ("Cape Town", "Africa/Johannesburg",
     ("Ciudad del Cabo", "Cidade do Cabo", "Le Cap", "Kapstadt"), ("Kaapstad",)),
    ("Tel Aviv", "Asia/Jerusalem", ("Tel Aviv", "Tel Aviv", "Tel Aviv", "Tel Aviv"),
     ("Telavive", "Tel Aviv-Yafo", "Tel Aviv-Jaffa")),
    ("Delhi", "Asia/Kolkata", ("Delhi", "Deli", "Delhi", "Delhi"),
     ("New Delhi", "Nueva Delhi", "Nova Délhi", "Nova Deli", "Déli", "Neu-Delhi")),
    ("Mumbai", "Asia/Kolkata", ("Bombay", "Mumbai", "Bombay", "Mumbai"), ("Bombay",)),
    ("Beijing", "Asia/Shanghai", ("Pekín", "Pequim", "Pékin", "Peking"), ("Peking",)),
    # The big cities of the countries on several clocks, where the city is asked for.
    ("Brasília", "America/Sao_Paulo", ("Brasilia", "Brasília", "Brasilia", "Brasília"), ()),
    ("Belo Horizonte", "America/Sao_Paulo", ("Belo Horizonte",) * 4, ()),
    ("Porto Alegre", "America/Sao_Paulo", ("Porto Alegre",) * 4, ()),
    ("Curitiba", "America/Sao_Paulo", ("Curitiba",) * 4, ()),
    ("Florianópolis", "America/Sao_Paulo", ("Florianópolis",) * 4, ()),
    # "Salvador" is also El Salvador (in French): asked.
    ("Salvador", "America/Bahia", ("Salvador",) * 4, ("Salvador da Bahia",)),
    ("Guadalajara", "America/Mexico_City", ("Guadalajara",) * 4, ()),
    ("Puebla", "America/Mexico_City", ("Puebla",) * 4, ()),
    ("Philadelphia", "America/New_York",
     ("Filadelfia", "Filadélfia", "Philadelphie", "Philadelphia"), ()),
    ("Boston", "America/New_York", ("Boston",) * 4, ()),
    ("Washington, D.C.", "America/New_York", ("Washington D. C.",) * 4, ("Washington DC",)),
    ("Las Vegas", "America/Los_Angeles", ("Las Vegas",) * 4, ()),
    ("San Diego", "America/Los_Angeles", ("San Diego",) * 4, ()),
    ("Ottawa", "America/Toronto", ("Ottawa",) * 4, ()),
    ("Calgary", "America/Edmonton", ("Calgary",) * 4, ()),
    ("Quito", "America/Guayaquil", ("Quito",) * 4, ()),
    ("Málaga", "Europe/Madrid", ("Málaga",) * 4, ()),
    # CLDR's "Córdoba" is Argentina's zone: the Spanish city is here so that the name asks.
    ("Córdoba", "Europe/Madrid", ("Córdoba", "Córdova", "Cordoue", "Córdoba"), ()),
    ("Bilbao", "Europe/Madrid", ("Bilbao",) * 4, ()),
    ("Zaragoza", "Europe/Madrid", ("Zaragoza", "Saragoça", "Saragosse", "Saragossa"), ()),
    ("Las Palmas", "Atlantic/Canary", ("Las Palmas",) * 4, ("Las Palmas de Gran Canaria",)),
    ("Faro", "Europe/Lisbon", ("Faro",) * 4, ()),
    ("Coimbra", "Europe/Lisbon", ("Coimbra",) * 4, ()),
    ("Braga", "Europe/Lisbon", ("Braga",) * 4, ()),
    ("Funchal", "Atlantic/Madeira", ("Funchal",) * 4, ()),
    ("Ponta Delgada", "Atlantic/Azores", ("Ponta Delgada",) * 4, ()),
    ("Saint Petersburg", "Europe/Moscow",
     ("San Petersburgo", "São Petersburgo", "Saint-Pétersbourg", "Sankt Petersburg"),
     ("St. Petersburg", "Sankt-Peterburg")),
    # The other one, in Florida: "St. Petersburg" is asked about, "Sankt Petersburg" is not.
    ("St. Petersburg", "America/New_York",
     ("San Petersburgo", "São Petersburgo", "Saint-Pétersbourg", "St. Petersburg"),
     ("Saint Petersburg",)),
    # Names two places share that a sprinter may well mean either way, so they are asked:
    # the US state of Georgia (all on New York's time) or the country (Tbilisi); "Georgien"
    # is the country only.
    ("Georgia", "America/New_York", ("Georgia", "Geórgia", "Géorgie", "Georgia"),
     ("Georgia, USA", "Georgia, US")),
    # Kingston, Ontario or Jamaica's capital (CLDR's city for America/Jamaica).
    ("Kingston", "America/Toronto", ("Kingston",) * 4, ("Kingston, Ontario", "Kingston, ON")),
    # St. John's, Newfoundland (half an hour off Atlantic time) or Antigua's capital.
    ("St. John's", "America/St_Johns", ("St. John's",) * 4,
     ("St. John's, Newfoundland", "St. John's, NL", "St. John's, Newfoundland and Labrador")),
    ("St. John's", "America/Antigua", ("St. John's",) * 4,
     ("Saint John's",)),
)
# Other names people type for the places CLDR names ("Wien" is German already): local
# spellings, the islands of a zone.
_LOCAL_NAMES: dict[str, tuple[str, ...]] = {
    "Atlantic/Canary": ("Canary Islands", "Islas Canarias", "Gran Canaria", "Tenerife"),
    "Europe/Warsaw": ("Warszawa",),
    "Europe/Prague": ("Praha",),
    "Europe/Copenhagen": ("København", "Kobenhavn"),
    "Europe/Bucharest": ("București",),
    "Europe/Belgrade": ("Beograd",),
    "Europe/Moscow": ("Moskva",),
    "Europe/Athens": ("Athina",),
    "Europe/Brussels": ("Brussel",),
    "Europe/Helsinki": ("Helsingfors",),
    "Europe/Zurich": ("Zuerich",),
}
# fmt: on
_CITY_LANGUAGES = ("es", "pt", "fr", "de")


def _table_name(english: str, zone: str, lang: str) -> str | None:
    """The name of a city of :data:`_CITY_NAMES` in ``lang``, else None."""
    for name, where, names, _others in _CITY_NAMES:
        if name == english and where == zone:
            return names[_CITY_LANGUAGES.index(lang)] if lang in _CITY_LANGUAGES else name
    return None


@cache
def _city_in(zone: str, english_name: str, lang: str) -> str:
    if " / " in english_name:  # "Delhi / Mumbai": each city in the reader's words
        return " / ".join(_city_in(zone, part, lang) for part in english_name.split(" / "))
    listed = _table_name(english_name, zone, lang)
    if listed is not None:
        return listed
    if _localised_city(zone, "en") != english_name:
        return english_name  # our own name for the place (not the zone's city)
    return _localised_city(zone, lang) or english_name


def city_name(city: City, lang: str | None = None) -> str:
    """Return the city's name in ``lang`` (default: the current language) as CLDR writes it
    ("Lisboa", "Lissabon"), or as :data:`_CITY_NAMES` does where CLDR names the zone after
    another city ("München"); else our own name."""
    return _city_in(city.zone, city.name, lang or current_language())


def all_cities() -> tuple[City, ...]:
    """Return every place known to the picker and to the location lookup."""
    listed = tuple(city for cities in REGIONS.values() for city in cities)
    return listed + _EXTRA_PLACES


@cache
def _available() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine can load."""
    return name in _available().values()


def warm_up() -> None:
    """Build the name indexes (and load Babel's data for every language) now, so that the
    first athlete who types a place does not wait for it (20-50 ms, more on a busy machine).
    Meant for start-up, off the event loop: ``await asyncio.to_thread(warm_up)``."""
    _place_index()
    _country_index()


def resolve_typed_zone(text: str) -> str | None:
    """Return the IANA zone of a place for a typed zone name ("europe/berlin", an old name
    such as "Asia/Calcutta" as today's "Asia/Kolkata") or a known city, else None.

    A zone that is no place (no country: "Etc/GMT+2", which POSIX reads as UTC−2) is
    refused: an athlete's check-in times follow their place's summer time, and the emergency
    number shown with a warning sign is their country's."""
    return _place_zone(_typed_zone(text))


def _typed_zone(text: str) -> str | None:
    """Return the IANA zone (any, with a "/") or the one place's zone typed, else None."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return None
    exact = _available().get(cleaned.lower().replace(" ", "_"))
    if exact is not None and "/" in exact:
        return exact
    return read_typed_zone(cleaned).zone


@dataclass(frozen=True)
class TypedZone:
    """What a typed time zone answer means: one place's zone, or why it is not one.

    ``country``: a country with several time zones ("Brazil"), to ask for the city;
    ``choices``: different places of that name ("Eastern": New York or Toronto);
    ``offset``: a UTC offset ("+5:30", "GMT-3", "UTC"); ``abbreviation``: "EST", "CET"."""

    zone: str | None = None
    country: str | None = None
    choices: tuple[str, ...] = ()
    offset: bool = False
    abbreviation: bool = False


def _fold(text: str) -> str:
    """Return ``text`` as names are compared: no accents nor case, "_" and "-" as spaces,
    no dots nor apostrophes ("São_Paulo" → "sao paulo", "St. John's" → "st johns")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    bare = re.sub(r"[.'’`]", "", bare)
    return " ".join(re.sub(r"[_\-‐–—]", " ", bare).split())


def _localised_city(zone: str, lang: str) -> str | None:
    """The zone's city in ``lang`` as CLDR writes it (Babel's
    ``get_timezone_location(..., return_city=True)``), read from one table per language."""
    found = _cldr_cities(lang).get(zone)
    if found is not None:
        return found
    try:
        tz = get_timezone(zone)
        return str(get_timezone_location(tz, locale=format_locale(lang), return_city=True))
    except (LookupError, ValueError):
        return None


@cache
def _cldr_cities(lang: str) -> dict[str, str]:
    """The city of every zone of zone.tab in ``lang``, as Babel's ``get_timezone_location``
    finds it (the zone's own exemplar city, else its metazone's, else its last part), without
    its per-call cost (about 0.03 ms each, for 2,000 calls when the index is built)."""
    locale = format_locale(lang)
    names, metas = locale.time_zones, locale.meta_zones
    aliases, metazones = get_global("zone_aliases"), get_global("meta_zones")
    cities: dict[str, str] = {}
    for zone in _zone_countries():
        canonical = aliases.get(zone, zone)
        info = names.get(canonical, {})
        if "city" in info:
            cities[zone] = str(info["city"])
            continue
        meta = metas.get(metazones.get(canonical), {})
        cities[zone] = (
            str(meta["city"]) if "city" in meta else canonical.rpartition("/")[2].replace("_", " ")
        )
    return cities


@cache
def _place_index() -> dict[str, frozenset[str]]:
    """Return the places' zones by folded name: each zone's last part ("kolkata"), an old
    name's last part as its zone today ("calcutta" → Asia/Kolkata), the picker's cities and
    the zones' cities as CLDR writes them in every language ("nueva york"), and the cities
    of :data:`_CITY_NAMES` and :data:`_LOCAL_NAMES` in every spelling ("münchen", "köln")."""
    names: dict[str, set[str]] = {}  # each name once, then folded once

    def add(name: str | None, zone: str) -> None:
        if name:
            names.setdefault(name, set()).add(zone)

    for zone in _zone_countries():
        add(zone.rsplit("/", 1)[-1], zone)
        for lang in LANGUAGES:
            add(_localised_city(zone, lang), zone)
    countries = _country_index()
    for alias in _zone_links():
        # "US/Pacific" and "Japan" are places; "EST", "GB", "NZ-CHAT" are no names to type.
        if "/" not in alias and not re.fullmatch(r"[A-Z][a-z]+", alias):
            continue
        # "Iceland" links to Africa/Abidjan (same clock): a country's name means the country.
        if "/" not in alias and _fold(alias) in countries:
            continue
        place = _place_zone(alias)
        if place is not None:
            add(alias.rsplit("/", 1)[-1], place)
    for city in all_cities():
        for name in (city.name, *city.name.split("/")):
            add(name, city.zone)
        for lang in LANGUAGES:
            add(city_name(city, lang), city.zone)
    for english, zone, translated, others in _CITY_NAMES:
        for name in (english, *translated, *others):
            add(name, zone)
    for zone, local in _LOCAL_NAMES.items():
        for name in local:
            add(name, zone)
    index: dict[str, set[str]] = {}
    for name, zones in names.items():
        key = _fold(name)
        if key:
            index.setdefault(key, set()).update(zones)
    return {key: frozenset(zones) for key, zones in index.items()}


# Country names people type that neither the tz database (iso3166.tab) nor CLDR spells so.
_COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "gb": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "uae": "AE",
    "holland": "NL",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "nz": "NZ",
    "antigua": "AG",
    "antigua and barbuda": "AG",
}


@cache
def _country_index() -> dict[str, frozenset[str]]:
    """Return the ISO 3166 codes of the countries with zones by folded name: the English
    names of the tz database's iso3166.tab, the names CLDR gives in every language ("Brasil",
    "Deutschland") and a few common short names ("UK", "USA")."""
    codes = set(_zone_countries().values())
    names: dict[str, set[str]] = {}  # each name once, then folded once

    def add(name: str, code: str) -> None:
        if code in codes:
            names.setdefault(name, set()).add(code)

    table = resources.files("tzdata") / "zoneinfo" / "iso3166.tab"
    for line in table.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            add(name, code)
    for lang in LANGUAGES:
        for code, name in format_locale(lang).territories.items():
            add(name, code)
    for name, code in _COUNTRY_ALIASES.items():
        add(name, code)
    index: dict[str, set[str]] = {}
    for name, found in names.items():
        key = _fold(name)
        if key:
            index.setdefault(key, set()).update(found)
    return {key: frozenset(found) for key, found in index.items()}


def _clock(zone: str) -> tuple[dt.timedelta | None, ...]:
    """The zone's UTC offset at noon UTC on each day of the next two years."""
    start = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    tz = zoneinfo.ZoneInfo(zone)
    return tuple((start + dt.timedelta(days=n)).astimezone(tz).utcoffset() for n in range(731))


@cache
def _clock_groups(country: str) -> tuple[tuple[str, ...], ...]:
    """Return the zones of ``country`` grouped by clock (the same time all year in each
    group), in the tz database's order, the group of most zones first."""
    groups: dict[tuple[dt.timedelta | None, ...], list[str]] = {}
    for zone, code in _zone_countries().items():
        if code == country:
            groups.setdefault(_clock(zone), []).append(zone)
    return tuple(sorted((tuple(g) for g in groups.values()), key=len, reverse=True))


def _country_zone(country: str) -> str | None:
    """The zone of a country that keeps one time ("Germany" → Europe/Berlin, with Busingen
    on the same clock), else None ("Brazil")."""
    groups = _clock_groups(country)
    return groups[0][0] if len(groups) == 1 else None


_OFFSET = re.compile(
    r"(?:utc|gmt|ut|z)?\s*(?:[+\-−–]\s*\d{1,2}(?:\s*[:.h]?\s*\d{2})?\s*h?)?", re.IGNORECASE
)
# Abbreviations that name a time, not a place: IST is India's, Israel's and Ireland's.
# fmt: off
_ABBREVIATIONS = frozenset({
    "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "akdt", "hst", "hdt",
    "ast", "adt", "nst", "ndt", "bst", "ist", "cet", "cest", "met", "mest", "eet", "eest",
    "wet", "west", "msk", "aest", "aedt", "acst", "acdt", "awst", "nzst", "nzdt", "jst", "kst",
    "hkt", "sgt", "wib", "wita", "wit", "pht", "brt", "art", "clt", "cot", "pet", "vet",
    "sast", "cat", "eat", "wat", "gst", "pkt", "npt", "ict", "chst", "sst",
})
# fmt: on


def _city_in_country(found: TypedZone, countries: frozenset[str] | None) -> TypedZone:
    """``found`` (typed before a comma) if it is in one of ``countries`` (typed after it:
    "Córdoba, Argentina"), the one choice there if several places share the name, else
    nothing (no guess: "Paris, Texas" is not Europe/Paris)."""
    if not countries:
        return TypedZone()
    if found.zone is not None:
        return found if country_of_zone(found.zone) in countries else TypedZone()
    inside = [zone for zone in found.choices if country_of_zone(zone) in countries]
    if len(inside) == 1:
        return TypedZone(zone=inside[0])
    return TypedZone(country=found.country) if found.country in countries else TypedZone()


def read_typed_zone(text: str) -> TypedZone:
    """Read what someone typed for their time zone: a city or a zone's last part, any case,
    with or without accents ("são paulo", "new york", "kolkata"), an old name as its place
    today ("Calcutta"), or a country that keeps one time ("India", "Germany"). Never guesses
    between different places: a country with several times, a name several places share, an
    offset or an abbreviation says so (no zone)."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return TypedZone()
    exact = _available().get(cleaned.lower().replace(" ", "_"))
    if exact is not None and "/" in exact:
        if exact.startswith("Etc/") or country_of_zone(_place_zone(exact)) is None:
            return TypedZone(offset=exact.startswith("Etc/"))
        return TypedZone(zone=exact)
    city, comma, country = cleaned.partition(",")
    if comma and city.strip() and "," not in country and _fold(cleaned) not in _place_index():
        return _city_in_country(read_typed_zone(city), _country_index().get(_fold(country)))
    key = _fold(cleaned)
    zones = set(_place_index().get(key, ()))
    several: set[str] = set()
    for code in _country_index().get(key, ()):
        one = _country_zone(code)
        if one is None:
            several.add(code)
        else:
            zones.add(one)
    if several:
        (code, *others) = sorted(several)
        if not others and all(country_of_zone(zone) == code for zone in zones):
            return TypedZone(country=code)
        zones.update(group[0] for country in several for group in _clock_groups(country))
    one_country = len({country_of_zone(zone) for zone in zones}) == 1
    if len(zones) > 1 and one_country and len({_clock(zone) for zone in zones}) == 1:
        order = list(_zone_countries())  # one country, one clock: the same place
        zones = {min(zones, key=order.index)}
    if len(zones) == 1:
        return TypedZone(zone=zones.pop())
    if zones:
        order = list(_zone_countries())
        return TypedZone(choices=tuple(sorted(zones, key=order.index)))
    if key in _UTC_NAMES or key == "universal" or _OFFSET.fullmatch(cleaned):
        return TypedZone(offset=True)
    if key in _ABBREVIATIONS or re.fullmatch(r"[A-Z]{3,4}\d[A-Z]{3,4}", cleaned.upper()):
        return TypedZone(abbreviation=True)
    return TypedZone()


# Universal time as staff type it ("UTC", "gmt"): zones without a "/" are otherwise refused
# (a bare "EST" or "CET" says nothing about summer time), but these mean one thing.
_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "universal"})


def resolve_staff_zone(text: str) -> str | None:
    """Return the zone a clinician or an admin typed for their alert times and digest: as
    :func:`resolve_typed_zone` (a place), and universal time ("UTC", "GMT", "Etc/UTC") as
    "UTC"."""
    if text.strip().lower() in _UTC_NAMES:
        return "UTC"
    zone = _typed_zone(text)
    if zone is not None and zone.startswith("Etc/") and _is_universal(zone):
        return "UTC"
    return _place_zone(zone)


def is_fixed_offset(text: str) -> bool:
    """Whether ``text`` names a fixed-offset zone ("Etc/GMT+2"), whose sign POSIX reverses
    (it is two hours behind UTC): refused with its own explanation."""
    zone = _typed_zone(text)
    return zone is not None and zone.startswith("Etc/") and not _is_universal(zone)


def _is_universal(zone: str) -> bool:
    return zoneinfo.ZoneInfo(zone).utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(0)


def _place_zone(zone: str | None) -> str | None:
    """Return ``zone`` when it is a place (a country's zone), the place an old name links to
    ("US/Pacific" → "America/Los_Angeles"), else None ("Etc/GMT+2", "Etc/UTC")."""
    if zone is None or country_of_zone(zone) is not None:
        return zone
    target = _zone_links().get(zone)
    return target if country_of_zone(target) is not None else None


@cache
def _zone_links() -> dict[str, str]:
    """Return the zone each old or alternative IANA name links to, from tzdata's tzdata.zi
    ("L America/Los_Angeles US/Pacific")."""
    table = resources.files("tzdata") / "zoneinfo" / "tzdata.zi"
    links: dict[str, str] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):
            _kind, target, alias = line.split()[:3]
            links[alias] = target
    return links


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def nearest_city(lat: float, lon: float) -> City:
    """Return the known place nearest to a shared location (its zone is the athlete's guess)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    return min(all_cities(), key=lambda city: _distance_km(lat, lon, city.lat, city.lon))


def _city_of(zone: str) -> City | None:
    """The known city of an IANA zone, if any."""
    return next((city for city in all_cities() if city.zone == zone), None)


def place_name(zone: str) -> str:
    """Return the zone's city in the reader's language ("Berlin"), else the IANA name."""
    city = _city_of(zone)
    return city_name(city) if city is not None else zone


def city_label(zone: str) -> str:
    """Return a readable name for a zone: a known city if any, else the IANA name."""
    city = _city_of(zone)
    return f"{city_name(city)} ({zone})" if city is not None else zone


@cache
def _zone_countries() -> dict[str, str]:
    """Return the country of each IANA zone, from the zone.tab that tzdata ships."""
    table = resources.files("tzdata") / "zoneinfo" / "zone.tab"
    countries: dict[str, str] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = country
    return countries


def country_of_zone(zone: str | None) -> str | None:
    """Return the ISO 3166 country code of an IANA zone ("Europe/Lisbon" → "PT"), or None
    for a zone that names no country (UTC, Etc/GMT+3, an old alias)."""
    return _zone_countries().get(zone or "")


def emergency_numbers(zone: str | None) -> tuple[str, ...]:
    """Return the emergency numbers of the country of ``zone``, the one to call first first;
    112 where the country is unknown or not listed."""
    country = country_of_zone(zone)
    return EMERGENCY_NUMBERS.get(country or "", (DEFAULT_EMERGENCY_NUMBER,))


def emergency_number(zone: str | None) -> str:
    """Return the emergency number(s) to show for ``zone``, as the current language joins
    alternatives ("999 or 112", "15 ou 112")."""
    return format_or_list(emergency_numbers(zone))


def _zone_place(zone: str) -> str:
    """The zone's city in the reader's language: the picker's name, else CLDR's."""
    city = _city_of(zone)
    if city is not None:
        return city_name(city)
    return _localised_city(zone, current_language()) or zone.rsplit("/", 1)[-1].replace("_", " ")


def _country_examples(country: str) -> list[str]:
    """Up to three cities of ``country`` on different clocks: the picker's first, then the
    groups of most zones."""
    groups = _clock_groups(country)
    picked: list[tuple[str, ...]] = []
    for city in all_cities():
        group = next((g for g in groups if city.zone in g), None)
        if group is not None and group not in picked:
            picked.append(group)
    picked += [g for g in groups if g not in picked]
    known = {city.zone for city in all_cities()}
    # The old names point at each region's main city ("Brazil/West" → Manaus).
    linked = Counter(_zone_links().values())
    zones = [min(g, key=lambda z: (z not in known, -linked[z], g.index(z))) for g in picked]
    return [_zone_place(zone) for zone in zones[:3]]


def zone_refusal(text: str, *, staff: bool = False) -> str | None:
    """Return why ``text`` is no time zone and what to type instead, in the reader's
    language: a UTC offset or an abbreviation (no summer time, several places), a country
    with several time zones or a name several places share (the city is asked, with
    examples); None when it is simply unknown (the caller's own message). For ``staff`` the
    offset and abbreviation messages leave out the region buttons (only athletes have
    them): the caller adds how /timezone is used."""
    found = read_typed_zone(text)
    if found.offset:
        return str(ZONE_OFFSET_STAFF if staff else ZONE_OFFSET)
    if found.abbreviation:
        return str(ZONE_ABBREVIATION_STAFF if staff else ZONE_ABBREVIATION)
    if found.country is not None:
        message = ZONE_COUNTRY_PLURAL if _plural_in_english(found.country) else ZONE_COUNTRY
        return str(message).format(
            country=_country_subject(found.country),
            examples=format_or_list(_country_examples(found.country)),
        )
    if found.choices:
        places = _choice_names(text, found.choices)[:3]
        return str(ZONE_CHOICES).format(
            typed=quoted(text),
            places=format_or_list(places),
            example=quoted(_choice_example(text, found.choices[0])),
        )
    return None


# Countries whose English name takes "the" ("The United States has several time zones"), as
# do the names ending in "Islands". The translations write "{country}: …", which needs none.
_ENGLISH_THE = frozenset(
    {"US", "UM", "GB", "NL", "PH", "AE", "BS", "GM", "DO", "CF", "KM", "MV", "BQ"}
)


def _country_subject(code: str) -> str:
    """The country's name in the reader's language as the subject opening a sentence: with
    "The" in English where the name takes it."""
    lang = current_language()
    name = str(format_locale(lang).territories.get(code, code))
    if lang == "en" and (code in _ENGLISH_THE or _plural_in_english(code)):
        return f"The {name}"
    return name


def _plural_in_english(code: str) -> bool:
    """Whether the country's English name is plural, so takes a plural verb: "The US Outlying
    Islands have" ("The United States has", "The Netherlands has": one country)."""
    return str(format_locale("en").territories.get(code, code)).endswith(" Islands")


def _choice_city(key: str, zone: str, lang: str) -> tuple[str, bool]:
    """The city a folded typed name (``key``) means in ``zone``, in ``lang``: the one of
    :data:`_CITY_NAMES` with that name there (True: a listed city), else the zone's city."""
    row = next(
        (
            row
            for row in _CITY_NAMES
            if row[1] == zone and key in {_fold(n) for n in (row[0], *row[2], *row[3])}
        ),
        None,
    )
    if row is not None:
        return _city_in(zone, row[0], lang), True
    return _zone_place(zone), False


def _choice_example(text: str, zone: str) -> str:
    """How to type the first of the places a name could be: "Córdoba, Argentina"."""
    lang = current_language()
    city, _listed = _choice_city(_fold(text.partition(",")[0]), zone, lang)
    code = country_of_zone(zone)
    return f"{city}, {format_locale(lang).territories.get(code, code)}" if code else city


def _choice_names(text: str, zones: tuple[str, ...]) -> list[str]:
    """The places a typed name could be, in the reader's language: the city of that name
    in each zone where :data:`_CITY_NAMES` has one ("Colonia (Germany)"), else the zone's
    city; with the country when a listed city is among them or two names are the same."""
    lang = current_language()
    key = _fold(text.partition(",")[0])
    names: list[str] = []
    listed = False
    for zone in zones:
        name, in_table = _choice_city(key, zone, lang)
        listed = listed or in_table
        names.append(name)
    if listed or len({_fold(name) for name in names}) < len(names):
        territories = format_locale(lang).territories
        names = [
            f"{name} ({territories.get(code, code)})" if (code := country_of_zone(zone)) else name
            for name, zone in zip(names, zones, strict=True)
        ]
    return list(dict.fromkeys(names))
