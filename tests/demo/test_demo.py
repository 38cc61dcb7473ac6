"""`sprintback demo`: the scripted story runs the real bot end to end and leaves a transcript,
a chart and a report; the interactive mode takes numbered buttons and typed text from stdin."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.demo import script
from bot.demo.interactive import run_interactive
from bot.demo.world import DemoError, DemoWorld

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scripted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `python -m bot.cli demo` once into a temporary folder."""
    output = tmp_path_factory.mktemp("demo-output")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return done, output


def test_the_scripted_demo_exits_0_and_prints_every_step(
    scripted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, output = scripted
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    steps = {
        "clinician invitation": r"/invite_clinician\n.*bot → Admin: Clinician invite[^\[]*=clin_",
        "athlete invitation": r"→ bot: /invite\n.*bot → Clinician: Athlete invite[^\[]*\?start=",
        "onboarding consent": r"Athlete → bot: \[I agree\]",
        "scheduled check-in": r"bot → Athlete: \(1/10\) Good morning!",
        "metrics": r"Athlete → bot: speed 6\.0 10m 2\.4 strength 82",
        "gate alert with button": (
            r"bot → Clinician: 🟢 Sign-off needed · Sam(.|\n)*\[🟢 Sign off\]"
        ),
        # The athlete's notice may go out before the reply to the clinician.
        "clearance": (
            r"Clinician → bot: \[🟢 Sign off\]\n(?:.*\n){0,6}.*Signed off: Sam may move on"
        ),
        "progression": r"⬆️ You move up to Stage 3 of 8 · back to running\.",
        # The move, then what today holds (the transcript wraps long lines).
        "flare-up step-back": (
            r"↩️ Back one stage for a few days: Stage 2 of 8 · early strength\. 😴 Rest\s+"
            r"today:\s+light\s+activity\s+only\."
        ),
        "red flag to clinician": r"bot → Clinician: 🔴 Same day · Sam(.|\n)*numbness",
        "small chart after a stage change": (
            r"bot → Athlete: \[photo: progress-\d+\.png\] 📈 Your progress so far\. Now: Stage 2"
        ),
        "small chart after the step back": r"📈 Your progress so far\. Now: Stage 2 of 8",
        "acknowledged": r"Acknowledged 1 alert about Sam\.",
        # A review lifts the stop: its note confirmed first, then the athlete is told.
        "reviewed": (
            r"Clinician → bot: \[✅ Confirm review\]\n(?:.*\n){0,4}.*"
            r"has reviewed you: you may train again from today, at Stage 2 of"
        ),
        "weekly digest": r"bot → Clinician: Weekly digest for Dr Lee\n(.|\n)*· Sam: ",
        "chart in the chat": r"Athlete → bot: /progress\n.*bot → Athlete: \[photo: ",
        "report in the chat": r"bot → Clinician: \[document: sprintback-report-\d+-[\d-]+\.pdf\]",
    }
    missing = [name for name, pattern in steps.items() if not re.search(pattern, printed)]
    assert not missing, missing
    timeline = printed.split("Decision timeline (from the database)")[1].split("Transcript:")[0]
    assert "Fri 6 Mar · Stage 2 of 8 → Stage 3 of 8 · train · moved up" in timeline
    assert "Sat 7 Mar · Stage 3 of 8 → Stage 2 of 8 · rest · back one stage" in timeline
    assert re.search(
        r"Sun 8 Mar · Stage 2 of 8 · stop · stopped\n +You reported a warning sign", timeline
    )
    reviewed = "Mon 9 Mar · Stage 2 of 8 · train · same stage\n    Your clinician has reviewed you"
    assert reviewed in timeline
    assert "Wed 11 Mar · Stage 2 of 8 → Stage 3 of 8 · train · moved up" in timeline
    # Words, as the athlete read them: no stage code, rule, data-dictionary key or engine verdict.
    for pattern in (DICTIONARY_KEY, BARE_STAGE_ID, RECORD_WORDS, ENGINE_WORDS):
        assert not pattern.search(timeline), pattern.search(timeline)
    assert "Traceback" not in printed and "INFO" not in printed  # the bot logs to demo.log
    assert "Application started" in (output / "demo.log").read_text(encoding="utf-8")


def test_the_scripted_demo_writes_transcript_chart_and_report(
    scripted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, output = scripted
    assert done.returncode == 0, done.stderr
    transcript = (output / "transcript.txt").read_text(encoding="utf-8")
    assert "Signed off: Sam may move on" in transcript and "Decision timeline" in transcript
    chart = (output / "progress-chart.png").read_bytes()
    assert chart.startswith(b"\x89PNG") and len(chart) > 20_000
    report = (output / "clinician-report.pdf").read_bytes()
    assert report.startswith(b"%PDF") and len(report) > 20_000
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(output / "clinician-report.pdf").pages)
    assert "Sam" in text and "H1" in text


def test_a_failure_is_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--output", str(blocker / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("sprintback demo: cannot write to")
    assert "Traceback" not in done.stderr


def test_a_story_step_the_bot_fails_is_one_line_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken_story(world: DemoWorld) -> None:
        await script.invitations(world)
        raise DemoError("the bot did not process: Athlete pressed [I agree]")

    monkeypatch.setattr(script, "play", broken_story)
    root = logging.getLogger()
    # The demo sends the process's log to demo.log; give pytest its logging back afterwards.
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    try:
        assert cli.main(["demo", "--output", str(tmp_path)]) == 1
    finally:
        for handler in root.handlers:
            handler.close()
    assert "Application started" in (tmp_path / "demo.log").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sprintback demo: failed: the bot did not process: Athlete pressed")
    assert not (tmp_path / "transcript.txt").exists()


async def test_interactive_athlete_presses_numbers_types_text_and_quits(tmp_path: Path) -> None:
    stdin = io.StringIO("1\n1\n7\nHamstring please\n1\nquit\n")
    out = io.StringIO()
    path = await run_interactive("athlete", tmp_path, stdin=stdin, out=out)
    shown = out.getvalue()
    assert "    1. I agree" in shown  # buttons are numbered
    assert "Choose a button between 1 and 3" in shown  # 7 is not a button (2 + ◀ Back)
    transcript = path.read_text(encoding="utf-8")
    assert transcript.count("Athlete → bot: [I agree]") == 2
    assert "Athlete → bot: Hamstring please" in transcript  # typed text is a message
    assert "Please answer with one of the buttons below." in transcript
    assert "Athlete → bot: [Hamstring]" in transcript
    assert shown.rstrip().endswith(f"Transcript: {path}")


async def test_interactive_next_jumps_to_the_scheduled_morning_check_in(tmp_path: Path) -> None:
    answers = ["1", "1", "Hamstring", "4", "1", "2", "1", "1", "1", "Skip", "1", "1", "4"]
    lines = [*answers, "1", "/next", "quit"]
    out = io.StringIO()
    path = await run_interactive("athlete", tmp_path, stdin=io.StringIO("\n".join(lines)), out=out)
    transcript = path.read_text(encoding="utf-8")
    assert "All set" in transcript, out.getvalue()[-2000:]
    # 07:30 in London (the second time zone offered) is 08:30 in the transcript's Berlin time.
    assert "[day 2 08:30] bot → Athlete: (1/10) Good morning!" in transcript
    assert "later than planned" not in transcript


async def test_interactive_clinician_acts_on_the_red_flag_alert(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_interactive("clinician", tmp_path, stdin=io.StringIO("1\n/athletes\nquit\n"), out=out)
    shown = out.getvalue()
    assert "You are the clinician" in shown and "1. ✅ Acknowledge" in shown
    transcript = (tmp_path / "transcript.txt").read_text(encoding="utf-8")
    assert "Clinician → bot: [✅ Acknowledge]" in transcript
    assert "Acknowledged 1 alert about Sam." in transcript
    assert "Clinician → bot: /athletes" in transcript
    assert (tmp_path / "clinician-report.pdf").stat().st_size > 10_000


# Issue 15, "How it is checked": every message the athlete reads in the whole demo story.
DICTIONARY_KEY = re.compile(r"\b(?:morning|session|metrics|checks|derived)\.[a-z0-9_]+")
BARE_STAGE_ID = re.compile(r"\b[HC][0-7]\b")
RECORD_WORDS = re.compile(r"\bMet:|\bNot yet:|\bTrue\b|\bFalse\b|\bNone\b(?! of these)|\bLSI\b")
ENGINE_WORDS = re.compile(r"\bstep_back\b|\bmissing\b|\b(?:gate|stop|24h|stepback)\.[a-z0-9_.]+")
VERDICT_HEADS = ("✅", "🟡", "😴", "⛔", "⬆️", "↩️")


def _athlete_messages(transcript: str, reader: str = "Athlete") -> list[str]:
    story = transcript.split("Decision timeline (from the database)")[0]
    blocks = re.split(r"\n(?=\[day )", story)
    out = []
    for block in blocks:
        head, _, rest = block.partition(": ")
        if f"bot → {reader}" in head:
            out.append(re.sub(r"\s*\n\s+", " ", rest).strip())
    return out


# Codes are fine for clinicians, never on their own: "H2 · Return to running" (voice.md).
LONE_STAGE_ID = re.compile(r"\b[HC][0-7]\b(?! ·)")


def test_the_clinician_reads_no_internal_key_and_no_stage_code_alone(
    scripted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = scripted
    messages = _athlete_messages(done.stdout, "Clinician")
    assert len(messages) > 10
    leaks = [
        (found.group(0), text[:120])
        for text in messages
        for pattern in (DICTIONARY_KEY, LONE_STAGE_ID)
        if (found := pattern.search(text))
    ]
    assert not leaks, leaks[:3]


def test_the_athlete_never_reads_an_internal_name_or_a_contradiction(
    scripted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = scripted
    messages = _athlete_messages(done.stdout)
    assert len(messages) > 100
    leaks = []
    for text in messages:
        for pattern in (DICTIONARY_KEY, BARE_STAGE_ID, RECORD_WORDS):
            if found := pattern.search(text):
                leaks.append((found.group(0), text[:120]))
        assert len(text) <= 4096
    assert not leaks, leaks[:3]
    # A verdict ends with today's session, or on a rest day with what can be done instead.
    plans = ("Today's session", "What you can do today")
    verdicts = [t for t in messages if t.startswith(VERDICT_HEADS) and any(p in t for p in plans)]
    assert len(verdicts) >= 8
    for verdict in verdicts:
        head = verdict.split(" • ")[0].split(" Today's session")[0].split(" What you can do")[0]
        if head.startswith("✅ Train as planned"):
            assert "No running" not in verdict
        if head.startswith("⬆️"):
            assert "To move up" not in verdict
    # The normal days (a go that holds) fit on a phone screen; the wrapped text is measured
    # again unwrapped, so this is an upper bound of the message length.
    normal = [v for v in verdicts if v.startswith("✅ Train as planned today.")]
    assert normal and all(len(v.removesuffix(" [Why?]")) < 600 for v in normal)
    # A move up is said once: in the morning, not again after that day's session.
    moved_in_the_morning = [v for v in verdicts if v.startswith("⬆️")]
    assert moved_in_the_morning
    assert not any(t.startswith("⬆️ Session saved") for t in messages if "since this" in t)
