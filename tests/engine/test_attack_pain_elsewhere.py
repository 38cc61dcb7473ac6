"""Attack: pain in a different location than the injury (S5: other leg, low back / buttock,
elsewhere). Reference §5 tier 3 lists it ("Pain in a different location than the original
injury") under STOP this session/stage + escalate to the clinician within 24 h, and §4.2 asks
for a neural / referred-pain screen. The engine alerts, but the session counts as green and the
athlete moves up a stage two days later, before anyone has screened it."""

from __future__ import annotations

from tests.engine.builders import rec, session
from tests.engine.test_programme import decide, ready


def test_pain_elsewhere_does_not_let_the_athlete_progress_before_a_review() -> None:
    st = ready("H3", last_session=None, qualifying_sessions=1)
    out, st = decide(st, rec(6, s=session(80, reps=4, pain_max=1, pain_location="back_buttock")))
    assert any(a.rule == "session.pain_location" for a in out.alerts)
    assert out.session_class == "stop" and st.suspended  # no running until reviewed
    for n in (7, 8, 9):
        out, st = decide(st, rec(n))
        assert out.decision != "progress", n
    assert st.stage == "H3"
