"""Several real `sprintback run` webhook replicas on one PostgreSQL, and a Telegram in front.

- :func:`onboard_athletes`: athletes onboarded in the store, as the onboarding flow leaves them.
- :class:`Deployment`: N replicas as subprocesses (each with its own port and a tagged Bot API
  URL, so the sandbox records which replica made each call); ``kill`` is ``kill -9``.
- :class:`Telegram`: delivers the sandbox users' updates as Telegram does to a webhook behind
  a load balancer: each chat's updates one after the other (the next only once the previous
  got a 200), different chats at once, each POST to a random live replica, a share of them
  delivered twice, and an update whose POST failed (its replica died) posted again to
  another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.cli.webhook import SECRET_HEADER
from bot.sandbox import BotApiSandbox
from bot.sandbox.runner import free_port
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.engine_bridge import notify_nobody
from bot.services.athlete.results import Env
from bot.services.protocol_admin import ensure_seeded
from bot.services.questionnaires import ONBOARDING
from bot.store.db import session_scope
from bot.store.models import InjuryRecord, Outbox, Person, Programme, ScheduledPrompt
from bot.store.repo.people import create_person

SECRET = "scale-out-secret"
ROOT = Path(__file__).resolve().parents[2]


def fresh_database(base_url: str, prefix: str) -> tuple[str, Any]:
    """Create an empty PostgreSQL database next to ``base_url``; return its URL and an admin
    connection (drop it with ``drop_database``)."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    admin = psycopg.connect(
        base.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False), admin


def drop_database(url: str, admin: Any) -> None:
    """Drop a database made by ``fresh_database`` and close the admin connection."""
    admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    admin.close()


def onboarding_answers(checkin_time: str) -> dict[str, Any]:
    """What an athlete answers during onboarding (UTC, their check-in time)."""
    return {
        "consent_store": True, "consent_share": True, "injury": "hamstring",
        "muscle": "unknown", "side": "left", "grade": 1, "injury_date": "2026-03-01",
        "mechanism": "sprint", "sport": "Rugby", "baseline": {"vmax_ms": 9.0},
        "tz_region": "Europe", "timezone": "UTC", "checkin_time": checkin_time,
    }  # fmt: skip


def quiet_checkin_time(now: dt.datetime) -> str:
    """Return a check-in time (UTC) several hours away, so no prompt is due during a test."""
    hour = (now.hour + 8) % 24
    if 1 <= hour <= 3:
        hour = 5
    return f"{hour:02d}:00"


def onboard_athletes(engine: Engine, telegram_ids: list[int], checkin_time: str) -> None:
    """Create onboarded athletes (programme, injury, baseline, schedule) with their chats."""
    now = dt.datetime.now(dt.UTC)
    env = Env(now=now, notify=notify_nobody, default_timezone="UTC")
    answers = onboarding_answers(checkin_time)
    for start in range(0, len(telegram_ids), 50):
        with session_scope(engine) as session:
            for tg in telegram_ids[start : start + 50]:
                person = create_person(
                    session,
                    role="athlete",
                    telegram_user_id=tg,
                    chat_id=tg,
                    display_name=f"Athlete {tg}",
                    now=now,
                )
                progress, _ = svc.begin(session, person, "onboarding", env)
                progress.answers = dict(answers)
                session.add(progress)
                session.flush()
                svc.answer(
                    session, person, progress, ONBOARDING.question("confirm"), True, "✅", env
                )


def add_athletes_due_now(engine: Engine, telegram_ids: list[int], now: dt.datetime) -> None:
    """Create athletes on hamstring stage H0 (as onboarding leaves them, without the
    baseline) whose morning check-in prompt is due now; in a few multi-row statements."""
    people: Any = Person.__table__  # type: ignore[attr-defined]
    injuries: Any = InjuryRecord.__table__  # type: ignore[attr-defined]
    programmes: Any = Programme.__table__  # type: ignore[attr-defined]
    prompts: Any = ScheduledPrompt.__table__  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        ensure_seeded(session, "hamstring", now)
        session.execute(
            people.insert(),
            [
                {
                    "role": "athlete",
                    "telegram_user_id": tg,
                    "chat_id": tg,
                    "display_name": f"Athlete {tg}",
                    "language": "en",
                    "timezone": "UTC",
                    # Due now by their own schedule too, whatever the time of day (a prompt
                    # whose athlete now checks in later is put back, not sent).
                    "checkin_time": now.strftime("%H:%M"),
                    "paused": False,
                    "unreachable": False,
                    "created_at": now,
                }
                for tg in telegram_ids
            ],
        )
        ids = dict(
            session.execute(
                select(people.c.telegram_user_id, people.c.id).where(
                    people.c.telegram_user_id.in_(telegram_ids)
                )
            ).all()
        )
        session.execute(
            injuries.insert(),
            [
                {
                    "athlete_id": ids[tg],
                    "injury": "hamstring",
                    "muscle": None,
                    "side": "left",
                    "grade": 1,
                    "injury_date": now.date() - dt.timedelta(days=3),
                    "mechanism": "sprint",
                    "created_at": now,
                }
                for tg in telegram_ids
            ],
        )
        session.execute(
            programmes.insert(),
            [
                {
                    "athlete_id": ids[tg],
                    "protocol_name": "hamstring",
                    "protocol_version": 1,
                    "current_stage": "H0",
                    "start_date": now.date(),
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for tg in telegram_ids
            ],
        )
        session.execute(
            prompts.insert(),
            [
                {
                    "athlete_id": ids[tg],
                    "kind": "morning",
                    "local_date": now.date(),
                    "due_at": now - dt.timedelta(seconds=1),
                    "status": "pending",
                }
                for tg in telegram_ids
            ],
        )


@dataclass
class Replica:
    """One `sprintback run` process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Where its webhook listens."""
        return f"http://127.0.0.1:{self.port}/telegram"

    @property
    def worker(self) -> str:
        """The name it claims rows under (host:pid)."""
        return f"{socket.gethostname()}:{self.process.pid}"[:64]

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None


@dataclass
class Deployment:
    """N replicas of `sprintback run` in webhook mode on one database."""

    sandbox: BotApiSandbox
    database_url: str
    workdir: Path
    size: int = 3
    env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)

    async def start(self) -> None:
        """Start every replica and wait until each answers /healthz."""
        for index in range(self.size):
            name = f"r{index}"
            port = free_port()
            log = self.workdir / f"{name}.log"
            env = {
                **os.environ,
                "TELEGRAM_TOKEN": self.sandbox.token,
                "TELEGRAM_API_BASE_URL": self.sandbox.base_url_for(name),
                "DATABASE_URL": self.database_url,
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
                "SCHEDULER_TICK_SECONDS": "3600",
                "WORK_LEASE_SECONDS": "6",
                "LOG_LEVEL": os.environ.get("SCALEOUT_LOG_LEVEL", "WARNING"),
                "PYTHONPATH": str(ROOT),
                **self.env,
            }
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "run"],
                    env=env,
                    cwd=self.workdir,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            self.replicas.append(Replica(name, port, process, log))
        async with httpx.AsyncClient(timeout=2) as client:
            for replica in self.replicas:
                await _wait_healthy(client, replica)

    def live(self) -> list[Replica]:
        """The replicas still running."""
        return [r for r in self.replicas if r.alive]

    def kill(self, replica: Replica) -> None:
        """``kill -9`` the replica."""
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(10)

    async def stop(self) -> None:
        """Stop the live replicas with SIGTERM (as docker stop does)."""
        for replica in self.live():
            replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                await asyncio.to_thread(replica.process.wait, 30)
            except subprocess.TimeoutExpired:
                replica.process.kill()

    def output(self, replica: Replica) -> str:
        """What the replica logged."""
        return replica.log.read_text(errors="replace")


async def _wait_healthy(client: httpx.AsyncClient, replica: Replica) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        if not replica.alive:
            raise AssertionError(f"{replica.name} exited:\n{replica.log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            response = await client.get(f"http://127.0.0.1:{replica.port}/healthz")
            if response.status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{replica.name} never became healthy:\n{replica.log.read_text()}")


@dataclass
class Telegram:
    """Delivers the sandbox's updates to the deployment (see the module docstring)."""

    sandbox: BotApiSandbox
    deployment: Deployment
    rng: random.Random
    duplicate_share: float = 0.25
    acked: int = 0
    posts: int = 0
    duplicates: int = 0
    reposts: int = 0
    _queues: dict[int, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _pump: asyncio.Task[None] | None = None
    _client: httpx.AsyncClient | None = None
    _in_hand: int = 0
    acked_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def start(self) -> None:
        """Start delivering."""
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(60.0))
        self._pump = asyncio.get_running_loop().create_task(self._take())

    async def _take(self) -> None:
        while True:
            for update in self.sandbox.take_updates():
                chat = _chat_of(update)
                queue = self._queues.get(chat)
                if queue is None:
                    queue = self._queues[chat] = asyncio.Queue()
                    task = asyncio.get_running_loop().create_task(self._deliver_chat(queue))
                    self._workers.append(task)
                self._in_hand += 1
                queue.put_nowait(update)
            await self.sandbox.wait_for_change(0.5)

    async def _deliver_chat(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            update = await queue.get()
            try:
                replica = await self._post_until_acked(update)
                self.acked += 1
                self.acked_by[replica] += 1
                if self.rng.random() < self.duplicate_share:
                    # The 200 was lost on its way back: Telegram delivers the update again.
                    self.duplicates += 1
                    await self._post_until_acked(update)
            finally:
                self._in_hand -= 1

    async def _post_until_acked(self, update: dict[str, Any]) -> str:
        assert self._client is not None
        while True:
            live = self.deployment.live()
            if not live:
                raise AssertionError("no replica left to deliver to")
            replica = self.rng.choice(live)
            self.posts += 1
            try:
                response = await self._client.post(
                    replica.url, json=update, headers={SECRET_HEADER: SECRET}
                )
                if response.status_code == 200:
                    return replica.name
            except httpx.HTTPError:
                pass
            # Not acknowledged (the replica died under it): Telegram tries again later.
            self.reposts += 1
            await asyncio.sleep(0.05)

    async def drained(self, timeout: float) -> None:
        """Return once every update taken from the sandbox has been acknowledged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._in_hand or self.sandbox.pending_updates():
            if loop.time() > deadline:
                raise AssertionError(f"{self._in_hand} updates never acknowledged")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop delivering."""
        for task in [*self._workers, *([self._pump] if self._pump else [])]:
            task.cancel()
        for task in [*self._workers, *([self._pump] if self._pump else [])]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()


def _chat_of(update: dict[str, Any]) -> int:
    for kind in ("message", "edited_message"):
        if kind in update:
            return int(update[kind]["chat"]["id"])
    if "callback_query" in update:
        return int(update["callback_query"]["from"]["id"])
    if "my_chat_member" in update:
        return int(update["my_chat_member"]["chat"]["id"])
    return 0


def sent_rows_by_chat(engine: Engine) -> dict[int, int]:
    """How many outbox rows each chat got, recorded as sent."""
    counts: dict[int, int] = defaultdict(int)
    with session_scope(engine, read_only=True) as session:
        for chat_id in session.exec(select(Outbox.chat_id).where(Outbox.status == "sent")):
            counts[int(chat_id)] += 1
    return counts


def athlete_ids(engine: Engine, telegram_ids: list[int]) -> dict[int, int]:
    """Map Telegram ids to stored person ids."""
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(
            select(Person.telegram_user_id, Person.id).where(
                col(Person.telegram_user_id).in_(telegram_ids)
            )
        ).all()
    return {int(tg): int(pid) for tg, pid in rows if pid is not None}
