"""The time-zone picker resolves to loadable IANA names."""

from __future__ import annotations

import zoneinfo

from bot.services.timezones import (
    REGIONS,
    all_cities,
    emergency_number,
    nearest_city,
    resolve_typed_zone,
)


def test_every_listed_zone_loads() -> None:
    for city in all_cities():
        zoneinfo.ZoneInfo(city.zone)
    assert all(len(cities) <= 14 for cities in REGIONS.values())


def test_location_maps_to_the_nearest_city_zone() -> None:
    assert nearest_city(48.14, 11.58).zone == "Europe/Berlin"  # Munich
    assert nearest_city(-37.9, 145.0).zone == "Australia/Melbourne"
    assert nearest_city(40.0, -75.2).zone == "America/New_York"  # Philadelphia
    assert nearest_city(35.0, 135.8).zone == "Asia/Tokyo"  # Kyoto


def test_typed_names() -> None:
    assert resolve_typed_zone("Europe/Paris") == "Europe/Paris"
    assert resolve_typed_zone("america/new york") == "America/New_York"
    assert resolve_typed_zone("Mumbai") == "Asia/Kolkata"
    assert resolve_typed_zone("UTC") is None  # a city-level zone is needed for local time
    assert resolve_typed_zone("Nowhere") is None


def test_emergency_numbers() -> None:
    assert emergency_number("Europe/Berlin") == "112"
    assert "999" in emergency_number("Europe/London")
    assert emergency_number("America/Chicago") == "911"
    assert "112" in emergency_number(None)
