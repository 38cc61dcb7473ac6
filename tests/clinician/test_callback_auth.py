"""Signed button data: only the person it was made for can use it, unchanged and in time."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.callback_auth import (
    MAX_CALLBACK_BYTES,
    CallbackRejected,
    CallbackSigner,
    derive_secret,
)

NOW = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)
CLINICIAN = 5_000_000_001
OTHER = 5_000_000_002


@pytest.fixture
def signer() -> CallbackSigner:
    return CallbackSigner(derive_secret("123456:TEST-TOKEN"))


def test_signed_data_verifies_for_its_recipient(signer: CallbackSigner) -> None:
    data = signer.sign("al_ack", (42, 7), CLINICIAN, NOW)
    press = signer.verify(data, CLINICIAN, NOW + dt.timedelta(hours=2))
    assert press.action == "al_ack"
    assert press.int_id(0) == 42 and press.int_id(1) == 7


def test_press_by_another_user_is_rejected(signer: CallbackSigner) -> None:
    data = signer.sign("al_back", (42, 7), CLINICIAN, NOW)
    with pytest.raises(CallbackRejected, match="signature"):
        signer.verify(data, OTHER, NOW)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.replace("al_ack", "al_back", 1),
        lambda d: d.replace(":42.", ":43.", 1),
        lambda d: d[:-1] + ("A" if d[-1] != "A" else "B"),
    ],
    ids=["action", "athlete id", "mac"],
)
def test_tampered_data_is_rejected(signer: CallbackSigner, tamper) -> None:  # type: ignore[no-untyped-def]
    data = signer.sign("al_ack", (42, 7), CLINICIAN, NOW)
    with pytest.raises(CallbackRejected):
        signer.verify(tamper(data), CLINICIAN, NOW)


@pytest.mark.parametrize(
    "data", ["", "al_ack", "al_ack:1:2", "x:y:z:w:v", "AL:1:2:3", "al_ack:1;2:a:b"]
)
def test_malformed_data_is_rejected(signer: CallbackSigner, data: str) -> None:
    with pytest.raises(CallbackRejected):
        signer.verify(data, CLINICIAN, NOW)


def test_data_from_another_deployment_is_rejected(signer: CallbackSigner) -> None:
    other = CallbackSigner(derive_secret("999:OTHER-TOKEN"))
    data = other.sign("al_ack", (42, 7), CLINICIAN, NOW)
    with pytest.raises(CallbackRejected):
        signer.verify(data, CLINICIAN, NOW)


def test_explicit_secret_wins_over_token() -> None:
    assert derive_secret("t", "configured-secret") != derive_secret("t")
    assert derive_secret("t", "configured-secret") == derive_secret("u", "configured-secret")


def test_old_button_expires(signer: CallbackSigner) -> None:
    data = signer.sign("al_ack", (1,), CLINICIAN, NOW)
    signer.verify(data, CLINICIAN, NOW + dt.timedelta(days=29))
    with pytest.raises(CallbackRejected, match="expired"):
        signer.verify(data, CLINICIAN, NOW + dt.timedelta(days=31))


def test_largest_ids_fit_in_64_bytes(signer: CallbackSigner) -> None:
    data = signer.sign("gate_decline", (2**40, 2**40), 9_999_999_999, NOW)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES


def test_oversized_or_unsafe_input_is_refused_when_signing(signer: CallbackSigner) -> None:
    with pytest.raises(ValueError, match="64"):
        signer.sign("al_ack", ("x" * 20, "y" * 20, "z" * 20), CLINICIAN, NOW)
    with pytest.raises(ValueError, match="action"):
        signer.sign("Bad:Action", (1,), CLINICIAN, NOW)
    with pytest.raises(ValueError, match="id"):
        signer.sign("al_ack", ("a:b",), CLINICIAN, NOW)
