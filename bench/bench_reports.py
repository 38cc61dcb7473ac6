"""Time the progress chart and the clinician report for 30, 120 and 365 days of history.

Prints the median of a few runs for each size (seconds). Target: a year-long chart under 1 s.
Run: .venv/bin/python bench/bench_reports.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reports.chart import build_chart_spec, render_progress_png
from bot.reports.report_pdf import render_report_pdf
from tests.reports.factories import make_progress, make_report

SIZES = (30, 120, 365)
CHART_TARGET_S = 1.0


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Print the timing table; exit 1 if the year-long chart misses its 1 s target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()

    # warm-up: font cache and first-use imports are paid once per process, not per chart
    render_progress_png(make_progress(10))

    print(f"Report rendering, median of {args.runs} runs (seconds)")
    print(f"{'days':>5} {'spec':>8} {'chart':>8} {'small':>8} {'report':>8} {'PDF KiB':>8}")
    year_chart = 0.0
    for days in SIZES:
        gaps = set(range(days // 3, days // 3 + 3))
        data = make_progress(days, gaps=gaps, step_backs={days // 2}, red_flags={days // 2 - 1})
        report = make_report(
            days, alerts=days // 10, stage_changes=max(3, days // 12), clearances=3, notes=3
        )
        png = render_progress_png(data)
        spec_s = _median_seconds(partial(build_chart_spec, data), args.runs)
        chart_s = _median_seconds(partial(render_progress_png, data), args.runs)
        small_s = _median_seconds(partial(render_progress_png, data, small=True), args.runs)
        report_s = _median_seconds(partial(render_report_pdf, report, png), args.runs)
        size_kib = len(render_report_pdf(report, png)) / 1024
        print(
            f"{days:>5} {spec_s:>8.3f} {chart_s:>8.3f} {small_s:>8.3f} {report_s:>8.3f}"
            f" {size_kib:>8.0f}"
        )
        if days == 365:
            year_chart = chart_s
    verdict = "OK" if year_chart < CHART_TARGET_S else "TOO SLOW"
    print(f"year-long chart {year_chart:.3f} s (target < {CHART_TARGET_S:.1f} s): {verdict}")
    return 0 if year_chart < CHART_TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
