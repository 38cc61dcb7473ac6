"""Reading typed metrics: the variants athletes type, refusals with reasons, and a fuzz."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.questionnaires.metrics_parser import (
    SPECS,
    metrics_to_line,
    parse_metric_value,
    parse_metrics_line,
)
from engine.models import Metrics
from engine.plausibility import split_conflicts


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "10m 1.82 30m 4.11 vmax 8.7 hop 92",
            {"split_10m_s": 1.82, "split_30m_s": 4.11, "vmax_ms": 8.7, "hop_lsi_pct": 92},
        ),
        ("10m=1.82", {"split_10m_s": 1.82}),
        ("vmax 8,7", {"vmax_ms": 8.7}),
        ("Vmax: 8.7 m/s, 10 m: 1.82 s", {"vmax_ms": 8.7, "split_10m_s": 1.82}),
        ("top speed 31.32 km/h", {"vmax_ms": 8.7}),
        ("10m 1820ms", {"split_10m_s": 1.82}),
        (
            "hop 92% rsi 88 strength 90",
            {"hop_lsi_pct": 92, "rsi_lsi_pct": 88, "strength_lsi_pct": 90},
        ),
        ("slhb 20/25", {"slhb_reps_injured": 20, "slhb_reps_uninjured": 25}),
        ("heel raises 24 / 30", {"heel_raise_reps_injured": 24, "heel_raise_reps_uninjured": 30}),
        ("split_10m_s 1.82 hv_reps 6", {"split_10m_s": 1.82, "hv_reps": 6}),
        ("hv 6 reps and vmax 9", {"hv_reps": 6, "vmax_ms": 9}),
        (
            "cmj 38cm nordic 310 N gct 120 ms",
            {"cmj_cm": 38, "nordic_n": 310, "ground_contact_ms": 120},
        ),
        ("10m1.82 vmax8.7", {"split_10m_s": 1.82, "vmax_ms": 8.7}),
    ],
)
def test_understood_variants(line: str, expected: dict[str, float]) -> None:
    result = parse_metrics_line(line)
    assert result.ok, result.problems
    assert result.metrics is not None
    assert result.metrics.model_dump(exclude_none=True) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("10m 1.2", "10 m split 1.2 s"),
        ("vmax 13", "top speed 13 m/s"),
        ("vmax 50", "km/h"),
        ("hop 140", "hop distance compared with your other leg 140 %"),
        # A raw RSI score or a fraction read as a % LSI fired "RSI LSI below 85 %" (step back).
        ("rsi 2.1", "type the injured leg as a % of the other leg, e.g. 95, not 0.95"),
        ("hop 0,95", "hop distance compared with your other leg 0.95 % looks wrong"),
        ("strength 0.9", "expected at least 20 %"),
        # Counts of both legs more than 130 % apart: the sides swapped or a digit wrong.
        ("heel 33/20", "33 on the injured side against 20 on the other is more than 130 %"),
        ("slhb 25/2", "single-leg bridges: 25 on the injured side"),
        ("hv 6.5", "whole number"),
        ("foo 3", "I don't know 'foo'"),
        ("1.82", "'1.82' has no name"),
        ("vmax", "'vmax' needs a number"),
        ("vmax 8.7 s", "'s' is not a unit"),
        ("10m 2.5 20m 2.4", "should be shorter"),
        ("10m 1.82 10m 1.85", "given twice"),
        ("", "no metrics"),
        ("-3", "negative"),
    ],
)
def test_refusals_name_the_value_and_what_is_expected(line: str, named: str) -> None:
    result = parse_metrics_line(line)
    assert not result.ok and result.metrics is None
    assert any(named in problem for problem in result.problems), result.problems


def test_step_by_step_values() -> None:
    assert parse_metric_value("vmax_ms", "8,7").value == 8.7
    assert parse_metric_value("vmax_ms", "31.32 km/h").value == pytest.approx(8.7)
    assert parse_metric_value("vmax_ms", "vmax 9").value == 9
    assert parse_metric_value("hv_reps", "6 reps").value == 6
    assert parse_metric_value("split_10m_s", "1.2").problem is not None
    assert parse_metric_value("split_10m_s", "fast").problem is not None
    assert parse_metric_value("split_10m_s", "1.8 2.0").problem is not None


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_metrics_or_problems_never_an_exception(text: str) -> None:
    result = parse_metrics_line(text)
    if result.ok:
        assert result.metrics is not None
        assert Metrics.model_validate(result.metrics.model_dump()) == result.metrics
    else:
        assert result.metrics is None and result.problems
        assert all(isinstance(p, str) and p for p in result.problems)


_TOKENS = st.sampled_from(
    [
        "10m",
        "20m",
        "30m",
        "40m",
        "vmax",
        "hop",
        "slhb",
        "km/h",
        "m/s",
        "%",
        "s",
        "ms",
        "/",
        "=",
        ",",
        ":",
        "hv",
        "reps",
        "x",
        "-",
        "1.82",
        "8,7",
        "92",
        "0",
        "1e9",
        "nan",
        "12.5",
        "130",
        "4.11",
        "heel",
        "raises",
        "top",
        "speed",
        " ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=12).map(" ".join))
def test_metric_shaped_noise_never_stores_a_half_valid_record(text: str) -> None:
    result = parse_metrics_line(text)
    assert result.ok == (result.metrics is not None)
    if result.metrics is not None:
        Metrics.model_validate(result.metrics.model_dump())


def _valid_metrics() -> st.SearchStrategy[Metrics]:
    fields = {}
    for key, spec in SPECS.items():
        low = spec.minimum + (0.01 if spec.min_exclusive else 0)
        if spec.integer:
            strategy: st.SearchStrategy[float | int] = st.integers(int(low), int(spec.maximum))
        else:
            strategy = st.floats(low, spec.maximum).map(lambda v: round(v, 2))
        fields[key] = st.none() | strategy
    return (
        st.fixed_dictionaries(fields)
        .filter(
            lambda d: (
                any(v is not None for v in d.values())
                and _splits_increase(d)
                and _pairs_plausible(d)
                and not split_conflicts(d)
            )
        )
        .map(lambda d: Metrics(**d))
    )


def _pairs_plausible(values: dict[str, float | int | None]) -> bool:
    """Counts of both legs within the 130 % the parser accepts."""
    for side in ("heel_raise_reps", "slhb_reps"):
        injured, other = values[f"{side}_injured"], values[f"{side}_uninjured"]
        if injured is not None and other and injured * 100 > other * 130:
            return False
    return True


def _splits_increase(values: dict[str, float | int | None]) -> bool:
    splits = [values[f"split_{d}m_s"] for d in (10, 20, 30, 40)]
    present = [v for v in splits if v is not None]
    return all(a < b for a, b in itertools.pairwise(present))


@settings(max_examples=200, deadline=None)
@given(_valid_metrics())
def test_written_metrics_read_back_identically(metrics: Metrics) -> None:
    result = parse_metrics_line(metrics_to_line(metrics))
    assert result.ok, result.problems
    assert result.metrics == metrics


def test_a_top_speed_in_the_km_h_range_is_read_as_km_h_and_asked_back() -> None:
    result = parse_metrics_line("vmax 31")
    assert result.ok and result.metrics is not None
    assert result.metrics.vmax_ms == pytest.approx(8.61, abs=0.01)
    assert result.assumed == ("31 km/h = 8.6 m/s?",)


def test_a_misspelt_name_is_guessed_and_the_values_beside_it_are_kept() -> None:
    result = parse_metrics_line("vmx 8,7m/s 10m 1.82")
    assert result.ok and result.metrics is not None
    assert result.metrics.vmax_ms == 8.7 and result.metrics.split_10m_s == 1.82
    assert result.assumed == ("Did you mean vmax 8.7 m/s?",)
