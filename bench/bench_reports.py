"""Time the progress chart and the clinician report for 30, 120 and 365 days of history.

Prints the median of a few runs for each size (seconds). Targets: a year-long chart under 1 s,
and a year-long report (its printed chart drawn and the PDF laid out) under 1 s.
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
REPORT_TARGET_S = 1.0


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
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
    """Print the timing table; exit 1 if the year-long chart or report misses its target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()

    # warm-up: font cache and first-use imports are paid once per process, not per chart
    render_progress_png(make_progress(10))

    print(f"Report rendering, median of {args.runs} runs (seconds)")
    print(
        f"{'days':>5} {'spec':>8} {'chart':>8} {'small':>8} {'print':>8} {'report':>8}"
        f" {'PDF KiB':>8}"
    )
    year_chart = year_report = 0.0
    for days in SIZES:
        gaps = set(range(days // 3, days // 3 + 3))
        data = make_progress(days, gaps=gaps, step_backs={days // 2}, red_flags={days // 2 - 1})
        report = make_report(
            days, alerts=days // 10, stage_changes=max(3, days // 12), clearances=3, notes=3
        )
        printed = data.model_copy(update={"audience": "clinician"})
        png = render_progress_png(printed, for_print=True)
        spec_s = _median_seconds(partial(build_chart_spec, data), args.runs)
        chart_s = _median_seconds(partial(render_progress_png, data), args.runs)
        small_s = _median_seconds(partial(render_progress_png, data, small=True), args.runs)
        print_s = _median_seconds(partial(render_progress_png, printed, for_print=True), args.runs)
        report_s = _median_seconds(partial(render_report_pdf, report, png), args.runs)
        size_kib = len(render_report_pdf(report, png)) / 1024
        print(
            f"{days:>5} {spec_s:>8.3f} {chart_s:>8.3f} {small_s:>8.3f} {print_s:>8.3f}"
            f" {report_s:>8.3f} {size_kib:>8.0f}"
        )
        if days == 365:
            year_chart, year_report = chart_s, print_s + report_s
    ok = year_chart < CHART_TARGET_S and year_report < REPORT_TARGET_S
    chart_cpu, print_cpu, report_cpu = CPU_SECONDS[-4], CPU_SECONDS[-2], CPU_SECONDS[-1]
    print(f"year-long chart {year_chart:.3f} s, CPU {chart_cpu:.3f} s (target < 1 s)")
    print(
        f"year-long report, printed chart + PDF {year_report:.3f} s, "
        f"CPU {print_cpu + report_cpu:.3f} s (target < 1 s)"
    )
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
