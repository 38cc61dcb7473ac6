"""Picking an athlete's time zone: a short region → city list, typed names, or a location.

Everything resolves to an IANA name ("Europe/Berlin"), never an offset, so check-ins stay at
the same local time across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel.dates import get_timezone, get_timezone_location

from bot.support.formats import format_locale, format_or_list
from bot.support.i18n import L_, LANGUAGES, LazyText, current_language


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


def region_label(region: str) -> str:
    """Return a region of the picker ("Europe") in the current language ("Europa")."""
    found = REGION_NAMES.get(region)
    return str(found) if found is not None else region


@cache
def _city_in(zone: str, english_name: str, lang: str) -> str:
    try:
        tz = get_timezone(zone)
        english = get_timezone_location(tz, locale="en", return_city=True)
        if english != english_name:
            return english_name  # our own name for the place (not the zone's city)
        return str(get_timezone_location(tz, locale=format_locale(lang), return_city=True))
    except (LookupError, ValueError):
        return english_name


def city_name(city: City, lang: str | None = None) -> str:
    """Return the city's name in ``lang`` (default: the current language) as CLDR writes it
    ("Lisboa", "Lissabon"); our own name where CLDR names the zone after another city."""
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


def resolve_typed_zone(text: str) -> str | None:
    """Return the IANA zone of a place for a typed zone name ("europe/berlin", an old name
    such as "Asia/Calcutta" as today's "Asia/Kolkata") or a known city, else None.

    A zone that is no place (no country: "Etc/GMT+2", which POSIX reads as UTC−2) is
    refused: an athlete's check-in times follow their place's summer time, and the emergency
    number shown with a warning sign is their country's."""
    return _place_zone(_typed_zone(text))


def _typed_zone(text: str) -> str | None:
    """Return the IANA zone (any, with a "/") or the known city's zone typed, else None."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return None
    exact = _available().get(cleaned.lower().replace(" ", "_"))
    if exact is not None and "/" in exact:
        return exact
    wanted = cleaned.lower()
    for city in all_cities():
        names = {city.name.lower(), *(part.strip() for part in city.name.lower().split("/"))}
        names.update(city_name(city, lang).lower() for lang in LANGUAGES)  # "Lissabon" too
        if wanted in names:
            return city.zone
    return None


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
