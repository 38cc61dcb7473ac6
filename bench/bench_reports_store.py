"""Time charts, reports and the digest built from the store, as the bot makes them.

A SQLite store (or --database-url) gets one athlete with 30, 120 and 365 days of stored
history and a clinician with --athletes linked athletes of 4 weeks each. Prints the median of
a few runs (seconds) for: reading the chart data, reading + drawing the chart (the /progress
work), reading + rendering the PDF report (the /report work), and one clinician's digest
(data + text). Targets: a year-long chart under 1 s and a year-long /report under 1 s, both
read from the store.
Run: .venv/bin/python bench/bench_reports_store.py [--runs N] [--athletes N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reports.build import build_progress_png, build_report_pdf
from bot.reports.digest import digest_week, render_digest
from bot.reports.from_store import progress_data_for
from bot.services.digest import chart_png, prepare_digest
from bot.store import db, repo
from bot.store.db import make_engine, session_scope
from tests.reports_bot.conftest import write_athlete

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SIZES = (30, 120, 365)
CHART_TARGET_S = 1.0
REPORT_TARGET_S = 1.0


def _median(fn: Callable[[], object], runs: int) -> float:
    """Median wall-clock seconds; the CPU seconds of the same runs are kept in CPU_SECONDS
    (the machine is shared: wall time grows with the load, CPU time much less)."""
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_SECONDS.append(statistics.median(cpu))
    return statistics.median(times)


CPU_SECONDS: list[float] = []


def main() -> int:
    """Print the timing table; exit 1 if the year-long chart or /report misses its target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--athletes", type=int, default=30, help="athletes in the digest")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db.upgrade(url)
        engine = make_engine(url)
        ids = {days: write_athlete(engine, NOW, 10_000 + days, f"Athlete {days}d", days=days)
               for days in SIZES}  # fmt: skip
        with session_scope(engine) as session:
            clinician = repo.create_person(
                session, role="clinician", telegram_user_id=99, chat_id=99,
                display_name="Dr Bench", timezone="Europe/London", now=NOW,
            )  # fmt: skip
            assert clinician.id is not None
            clinician_id = clinician.id
        for i in range(args.athletes):
            athlete = write_athlete(engine, NOW, 20_000 + i, f"Digest {i}", days=28,
                                    alert="same_day" if i % 5 == 0 else None)  # fmt: skip
            with session_scope(engine) as session:
                repo.link_athlete(session, athlete_id=athlete, clinician_id=clinician_id, now=NOW)

        def read(athlete_id: int) -> None:
            with session_scope(engine, read_only=True) as session:
                progress_data_for(session, athlete_id=athlete_id, today=NOW.date())

        print(f"store: {engine.dialect.name}, median of {args.runs} runs (seconds)")
        print(
            f"{'days':>5} {'chart data':>11} {'/progress':>10} {'/report':>9}"
            f" {'CPU /progress':>14} {'CPU /report':>12}"
        )
        year_chart = year_report = 0.0
        for days, athlete_id in ids.items():
            data_s = _median(partial(read, athlete_id), args.runs)
            chart_s = _median(partial(build_progress_png, engine, athlete_id, NOW), args.runs)
            report_s = _median(
                partial(build_report_pdf, engine, athlete_id, NOW, clinician_id), args.runs
            )
            print(
                f"{days:>5} {data_s:>11.3f} {chart_s:>10.3f} {report_s:>9.3f}"
                f" {CPU_SECONDS[-2]:>14.3f} {CPU_SECONDS[-1]:>12.3f}"
            )
            if days == 365:
                year_chart, year_report = chart_s, report_s
        week = digest_week(NOW, "Europe/London")
        digest_s = _median(
            lambda: render_digest(prepare_digest(engine, clinician_id, week)), args.runs
        )
        one_chart = _median(lambda: chart_png(engine, ids[30], NOW), args.runs)
        print(f"digest of {args.athletes} athletes (data + text): {digest_s:.3f}")
        print(f"one digest chart (30 days): {one_chart:.3f}")
        engine.dispose()
    ok = year_chart < CHART_TARGET_S and year_report < REPORT_TARGET_S
    print(f"year-long /progress chart {year_chart:.3f} s (target < {CHART_TARGET_S} s)")
    print(f"year-long /report {year_report:.3f} s (target < {REPORT_TARGET_S} s)")
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
