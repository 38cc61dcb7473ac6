"""Load 1,000 and 10,000 athletes (120 days each) and time the bot's most frequent queries.

For each database (SQLite file, PostgreSQL) and each size, a fresh database is migrated,
bulk-loaded (executemany on SQLite, COPY on PostgreSQL) with, per athlete, 120 days of
morning check-ins, session reports, daily decisions and past prompts, some alerts, a
programme and a link to one of N/20 clinicians, then analysed. Then each query runs in its
own short transaction, as the bot runs it, with a random athlete or clinician each time:

- athlete status: programme, the last 14 days of records, decisions, open alerts;
- clinician list: the clinician's athletes with stage, last check-in and open alerts;
- due check-ins: the pending prompts due now (read), and claiming them (rolled back).

Prints load time, median and p95 per query, and the 10,000 / 1,000 ratio of the medians.
Targets: median under 10 ms for each read; ratio at most 1.5 for every query (the batch
claim of 100 rows included). Exit 1 if one is missed.

Run: .venv/bin/python bench/bench_store.py [--sizes 1000,10000] [--backends sqlite,postgresql]
PostgreSQL server: $SPRINTBACK_TEST_POSTGRES_URL (a throw-away database is created on it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.store import db, repo

DAYS = 120
ATHLETES_PER_CLINICIAN = 20
TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 7, 30, tzinfo=dt.UTC)
MEDIAN_TARGET_MS = 10.0
# Claiming 100 due prompts writes 100 rows: it must scale like the rest, but the 10 ms
# target is for the reads the bot makes on every update; its per-row cost is printed.
BATCH_WRITES = {"claim due check-ins (100)"}
RATIO_TARGET = 1.5
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

Row = tuple[Any, ...]


# --- synthetic data ---------------------------------------------------------------------


def _morning(rng: random.Random) -> dict[str, Any]:
    return {
        "red_flags": [],
        "pain_rest": rng.randint(0, 2),
        "pain_test": rng.randint(0, 4),
        "tightness": rng.randint(0, 4),
        "confidence": rng.randint(5, 10),
        "sleep_quality": rng.randint(1, 5),
        "fatigue": rng.randint(1, 5),
        "stress": rng.randint(1, 5),
        "soreness": rng.randint(1, 5),
        "sleep_hours": round(rng.uniform(5.5, 9.5), 1),
    }


def _session(rng: random.Random) -> dict[str, Any]:
    return {
        "completion": "full",
        "pain_max": rng.randint(0, 3),
        "sharp_pain": False,
        "tightness": rng.randint(0, 4),
        "held_back": False,
        "confidence": rng.randint(5, 10),
        "rpe": rng.randint(3, 8),
        "minutes": rng.randint(30, 75),
        "metrics": {"vmax_ms": round(rng.uniform(6.5, 9.5), 2), "hv_reps": rng.randint(2, 8)},
        "checks": {"walk_pain": 0, "knee_extension_full": True},
    }


def _decision(rng: random.Random) -> dict[str, Any]:
    outcome = rng.choice(("progress", "hold", "hold", "hold", "step_back"))
    return {
        "decision": outcome,
        "reasons": [
            {"rule": "pain_max", "observed": 1, "threshold": 2, "text": "pain within limits"}
        ],
    }


class Dataset:
    """Rows of every table for ``n`` athletes, generated lazily and reproducibly.

        Per-day rows are written day by day for all athletes, as a running bot writes them (so
    one athlete's rows are spread over the table, not stored side by side). Dates, instants
    and booleans come pre-formatted for ``dialect`` (strings for SQLite's
        columns, COPY text for PostgreSQL) and cached, so generation is not the bottleneck.
    """

    def __init__(self, n: int, dialect: str) -> None:
        self.n = n
        self.dialect = dialect
        self.clinicians = max(1, n // ATHLETES_PER_CLINICIAN)
        self.first_day = TODAY - dt.timedelta(days=DAYS)
        rng = random.Random(7)
        self.mornings = [json.dumps(_morning(rng)) for _ in range(64)]
        self.sessions = [json.dumps(_session(rng)) for _ in range(64)]
        self.decisions = [json.dumps(_decision(rng)) for _ in range(16)]
        self.days = [self._date(self.first_day + dt.timedelta(days=d)) for d in range(DAYS + 1)]
        self._stamps: dict[tuple[int, int, int], str] = {}
        self.false = 0 if dialect == "sqlite" else "f"

    def _date(self, day: dt.date) -> str:
        return day.isoformat()

    def stamp(self, d: int, hour: int, minute: int = 0) -> str:
        """The instant ``hour:minute`` UTC on programme day ``d``, formatted for the dialect."""
        key = (d, hour, minute)
        if key not in self._stamps:
            when = dt.datetime.combine(
                self.first_day + dt.timedelta(days=d), dt.time(hour, minute), tzinfo=dt.UTC
            )
            self._stamps[key] = (
                when.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                if self.dialect == "sqlite"
                else when.isoformat()
            )
        return self._stamps[key]

    def athlete_ids(self) -> range:
        return range(1, self.n + 1)

    def clinician_ids(self) -> range:
        return range(self.n + 1, self.n + self.clinicians + 1)

    def clinician_of(self, athlete_id: int) -> int:
        return self.n + 1 + (athlete_id - 1) % self.clinicians

    def tables(self) -> Iterator[tuple[str, tuple[str, ...], Callable[[], Iterable[Row]]]]:
        """Yield (table, columns, row generator) in foreign-key order."""
        at, no = self.stamp(0, 6), self.false
        day0 = self.days[0]

        def people() -> Iterator[Row]:
            for i in self.athlete_ids():
                yield (
                    i,
                    "athlete",
                    10_000_000_000 + i,
                    10_000_000_000 + i,
                    f"Athlete {i:05d}",
                    "en",
                    "Europe/Berlin",
                    "07:30",
                    None,
                    no,
                    no,
                    at,
                )
            for i in self.clinician_ids():
                yield (
                    i,
                    "clinician",
                    10_000_000_000 + i,
                    10_000_000_000 + i,
                    f"Clinician {i}",
                    "en",
                    "Europe/Berlin",
                    None,
                    None,
                    no,
                    no,
                    at,
                )

        def links() -> Iterator[Row]:
            for i in self.athlete_ids():
                yield (i, i, self.clinician_of(i), at)

        def injuries() -> Iterator[Row]:
            for i in self.athlete_ids():
                yield (i, i, "hamstring", "biceps_femoris", "left", 1, day0, "sprint", at)

        def programmes() -> Iterator[Row]:
            for i in self.athlete_ids():
                yield (i, i, i, "hamstring", 1, f"S{1 + i % 6}", day0, "active", None, at, at)

        def answers(pool: list[str]) -> Callable[[], Iterator[Row]]:
            def rows() -> Iterator[Row]:
                k = 0
                for d in range(DAYS):  # day by day, as a running bot writes them
                    for i in self.athlete_ids():
                        k += 1
                        when = self.stamp(d, 6, 15)
                        yield (k, i, self.days[d], pool[k % len(pool)], when, 120, when)

            return rows

        outcomes = [json.loads(p)["decision"] for p in self.decisions]

        def decisions() -> Iterator[Row]:
            k = 0
            for d in range(DAYS):
                for i in self.athlete_ids():
                    k += 1
                    j = k % len(self.decisions)
                    yield (
                        k,
                        i,
                        self.days[d],
                        "daily",
                        outcomes[j],
                        self.decisions[j],
                        "hamstring",
                        1,
                        self.stamp(d, 18),
                    )

        def alerts() -> Iterator[Row]:
            k = 0
            for d in range(0, DAYS, 10):  # one alert every 10 days, the last one open
                for i in self.athlete_ids():
                    k += 1
                    open_ = d + 10 >= DAYS
                    yield (
                        k,
                        i,
                        "info",
                        "hold_streak",
                        "held for 3 days",
                        self.days[d],
                        self.stamp(d, 18),
                        None if open_ else self.stamp(d, 20),
                        None if open_ else self.clinician_of(i),
                    )

        def prompts() -> Iterator[Row]:
            k = 0
            for d in range(DAYS + 1):
                for i in self.athlete_ids():
                    minute = (i * 7) % 300  # today's prompts spread over 05:00-10:00 UTC
                    k += 1
                    status = "pending" if d == DAYS else "sent"
                    due = self.stamp(d, 5 + minute // 60, minute % 60)
                    yield (k, i, "morning", self.days[d], due, status)

        yield (
            "person",
            (
                "id",
                "role",
                "telegram_user_id",
                "chat_id",
                "display_name",
                "language",
                "timezone",
                "checkin_time",
                "session_end_time",
                "paused",
                "unreachable",
                "created_at",
            ),
            people,
        )
        yield "link", ("id", "athlete_id", "clinician_id", "created_at"), links
        yield (
            "injury",
            (
                "id",
                "athlete_id",
                "injury",
                "muscle",
                "side",
                "grade",
                "injury_date",
                "mechanism",
                "created_at",
            ),
            injuries,
        )
        yield (
            "programme",
            (
                "id",
                "athlete_id",
                "injury_id",
                "protocol_name",
                "protocol_version",
                "current_stage",
                "start_date",
                "status",
                "state_json",
                "created_at",
                "updated_at",
            ),
            programmes,
        )
        answer_cols = (
            "id",
            "athlete_id",
            "local_date",
            "answers",
            "answered_at",
            "utc_offset_minutes",
            "updated_at",
        )
        yield "morning_checkin", answer_cols, answers(self.mornings)
        yield "session_report", answer_cols, answers(self.sessions)
        yield (
            "decision",
            (
                "id",
                "athlete_id",
                "local_date",
                "kind",
                "outcome",
                "decision",
                "protocol_name",
                "protocol_version",
                "created_at",
            ),
            decisions,
        )
        yield (
            "alert",
            (
                "id",
                "athlete_id",
                "severity",
                "rule",
                "text",
                "local_date",
                "created_at",
                "acknowledged_at",
                "acknowledged_by",
            ),
            alerts,
        )
        yield (
            "scheduled_prompt",
            ("id", "athlete_id", "kind", "local_date", "due_at", "status"),
            prompts,
        )


# --- bulk loading -------------------------------------------------------------------------


def _copy_line(row: Row) -> str:
    # COPY text format; the generated values hold no tab, newline or backslash.
    return "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


def load(engine: Engine, data: Dataset) -> int:
    """Bulk-insert the dataset; return the number of rows written."""
    total = 0
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        if engine.dialect.name == "postgresql":
            # Bulk load of consistent data: skip per-row FK triggers (needs a superuser;
            # without one the load is just slower) and WAL flushes.
            for setting in ("session_replication_role = replica", "synchronous_commit = off"):
                try:
                    dbapi.execute(f"SET {setting}")
                    dbapi.commit()
                except psycopg.Error:
                    dbapi.rollback()
        for table, cols, rows in data.tables():
            collist = ", ".join(cols)
            if engine.dialect.name == "sqlite":
                cur = dbapi.cursor()
                cur.execute("BEGIN")
                marks = ", ".join("?" for _ in cols)
                batch = list(rows())
                cur.executemany(f"INSERT INTO {table} ({collist}) VALUES ({marks})", batch)
                total += len(batch)
                cur.execute("COMMIT")
            else:
                with dbapi.cursor() as cur:
                    with cur.copy(f"COPY {table} ({collist}) FROM STDIN") as copy:
                        chunk: list[str] = []
                        for row in rows():
                            chunk.append(_copy_line(row))
                            if len(chunk) == 20_000:
                                copy.write("".join(chunk))
                                total += len(chunk)
                                chunk = []
                        copy.write("".join(chunk))
                        total += len(chunk)
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                dbapi.commit()
        if engine.dialect.name == "sqlite":
            dbapi.execute("ANALYZE")
        else:
            dbapi.autocommit = True
            dbapi.execute("VACUUM ANALYZE")
            dbapi.autocommit = False
    finally:
        raw.close()
    return total


# --- measuring ------------------------------------------------------------------------------


QueryFn = Callable[[], object]


def queries(engine: Engine, data: Dataset) -> dict[str, QueryFn]:
    """The measured queries, each in its own short transaction, with random subjects."""
    rng = random.Random(11)
    athletes = data.athlete_ids()
    clinicians = data.clinician_ids()
    due_now = min(100, sum(1 for i in athletes if (i * 7) % 300 <= 150))

    def status() -> None:
        with db.session_scope(engine, read_only=True) as s:
            st = repo.athlete_status(s, athlete_id=rng.choice(athletes), today=TODAY, days=14)
            assert len(st.recent_days) == 13 and len(st.recent_decisions) == 13

    def clinician_list() -> None:
        with db.session_scope(engine, read_only=True) as s:
            rows = repo.clinician_athletes(s, clinician_id=rng.choice(clinicians))
            assert len(rows) == min(ATHLETES_PER_CLINICIAN, data.n)

    def due() -> None:
        with db.session_scope(engine, read_only=True) as s:
            assert len(repo.due_prompts(s, now=NOW, limit=100)) == due_now

    def claim() -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                rows = repo.claim_due_prompts(s, now=NOW, limit=100, worker="bench")
                assert len(rows) == due_now
            finally:
                s.rollback()  # leave the queue as it was for the next round

    def person_lookup() -> None:
        with db.session_scope(engine, read_only=True) as s:
            tid = 10_000_000_000 + rng.choice(athletes)
            assert repo.get_person_by_telegram_id(s, telegram_user_id=tid) is not None

    return {
        "athlete status (14 days)": status,
        "clinician athlete list": clinician_list,
        "due check-ins (read 100)": due,
        "claim due check-ins (100)": claim,
        "person by Telegram id": person_lookup,
    }


def measure(
    targets: dict[int, dict[str, QueryFn]], iterations: int, rounds: int = 10
) -> dict[int, dict[str, tuple[float, float]]]:
    """Return (median ms, p95 ms) per size and query.

    Sizes and queries are interleaved in short rounds, so a busy moment on the machine
    slows every size alike instead of skewing the 10,000 / 1,000 comparison.
    """
    samples: dict[int, dict[str, list[float]]] = {
        n: {name: [] for name in qs} for n, qs in targets.items()
    }
    for qs in targets.values():
        for fn in qs.values():
            for _ in range(20):  # warm caches, prepared statements, connections
                fn()
    per_round = max(1, iterations // rounds)
    for _ in range(rounds):
        for n, qs in targets.items():
            for name, fn in qs.items():
                for _ in range(per_round):
                    start = time.perf_counter()
                    fn()
                    samples[n][name].append((time.perf_counter() - start) * 1000)
    result: dict[int, dict[str, tuple[float, float]]] = {}
    for n, by_name in samples.items():
        result[n] = {}
        for name, xs in by_name.items():
            xs.sort()
            result[n][name] = (statistics.median(xs), xs[max(0, int(len(xs) * 0.95) - 1)])
    return result


class _PgServer:
    def __init__(self, url: str) -> None:
        self.url = url
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.admin = psycopg.connect(libpq, autocommit=True, connect_timeout=5)
        self.names: list[str] = []

    def create(self) -> str:
        name = f"sb_bench_{uuid.uuid4().hex[:10]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def run_backend(
    backend: str, sizes: list[int], iterations: int, pg_url: str, tmp: Path
) -> dict[int, dict[str, Any]]:
    """Create, migrate and load one database per size, then measure them interleaved."""
    pg = _PgServer(pg_url) if backend == "postgresql" else None
    engines: list[Engine] = []
    try:
        loaded: dict[int, dict[str, Any]] = {}
        targets: dict[int, dict[str, QueryFn]] = {}
        for n in sizes:
            url = f"sqlite:///{tmp / f'bench_{n}.db'}" if pg is None else pg.create()
            db.upgrade(url)
            engine = db.make_engine(url)
            engines.append(engine)
            data = Dataset(n, engine.dialect.name)
            start = time.perf_counter()
            rows = load(engine, data)
            loaded[n] = {"rows": rows, "load_s": time.perf_counter() - start}
            print(
                f"{backend}: loaded {n:,} athletes x {DAYS} days = {rows:,} rows in "
                f"{loaded[n]['load_s']:.1f} s ({rows / loaded[n]['load_s']:,.0f} rows/s)",
                flush=True,
            )
            targets[n] = queries(engine, data)
        for n, figures in measure(targets, iterations).items():
            loaded[n]["queries"] = figures
        return loaded
    finally:
        for engine in engines:
            engine.dispose()
        if pg is not None:
            pg.drop_all()


def main() -> int:
    """Run the benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="athlete counts, smallest first")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SPRINTBACK_TEST_POSTGRES_URL") or DEFAULT_PG,
        help="server to create the throw-away benchmark database on",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ok = True
    with tempfile.TemporaryDirectory(prefix="sprintback-bench-") as tmpdir:
        for backend in args.backends.split(","):
            results = run_backend(backend, sizes, args.iterations, args.postgres_url, Path(tmpdir))
            # The machine may be shared: the load says how much the figures can be trusted.
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{backend}: load average after measuring (1, 5, 15 min): {load}")
            for n in sizes:
                print(f"\n{backend}, {n:,} athletes  {'median ms':>10} {'p95 ms':>8}")
                for name, (median, p95) in results[n]["queries"].items():
                    if name in BATCH_WRITES:
                        note = f"  (batch write: {median / 100:.3f} ms per row, no ms target)"
                    else:
                        note = "" if median < MEDIAN_TARGET_MS else "  MISSES TARGET"
                        ok &= median < MEDIAN_TARGET_MS
                    print(f"  {name:30} {median:10.2f} {p95:8.2f}{note}")
            if len(sizes) > 1:
                small, large = results[sizes[0]], results[sizes[-1]]
                print(f"\n{backend}, median {sizes[-1]:,} / median {sizes[0]:,}:")
                for name in large["queries"]:
                    ratio = large["queries"][name][0] / small["queries"][name][0]
                    flag = "" if ratio <= RATIO_TARGET else "  MISSES TARGET"
                    ok &= ratio <= RATIO_TARGET
                    print(f"  {name:30} {ratio:5.2f}x{flag}")
            print(flush=True)
    print(
        f"\ntargets: median < {MEDIAN_TARGET_MS:.0f} ms per query, "
        f"{sizes[-1]:,} athletes at most {RATIO_TARGET}x slower than {sizes[0]:,}: "
        + ("all met" if ok else "MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
