"""Read an athlete's record and draw it: the progress chart (PNG) and the report (PDF).

These are the chart and report builders the handlers, the outbox sender and the benchmarks
call. Each opens its own read-only session, so it can run on a render worker thread
(``bot.reports.runner.in_worker_thread``) without holding the event loop. Blocking: never call
them on the event loop directly.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlmodel import Session

from bot.reports.chart import render_progress_png
from bot.reports.from_store import progress_data_for, report_data_for
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person
from bot.support.formats import format_long_date
from bot.support.i18n import _
from bot.wording import Audience


def _local_today(person: Person | None, now: dt.datetime) -> dt.date:
    try:
        zone = ZoneInfo((person.timezone if person is not None else None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def _clash(session: Session, athlete: Person | None, viewer_id: int | None, admin: bool) -> bool:
    """Tell whether the viewer reads the athlete's number beside the name: another athlete
    they have in view shares it (``repo.shares_name``; never without a viewer)."""
    if athlete is None or viewer_id is None:
        return False
    viewer = session.get(Person, viewer_id)
    return repo.shares_name(session, person=athlete, viewer=viewer, admin=admin)


def build_progress_png(
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    *,
    small: bool = False,
    audience: Audience = "athlete",
    viewer_id: int | None = None,
    admin: bool = False,
) -> tuple[bytes, str]:
    """Read the athlete's history and draw the chart in the words of ``audience`` (the
    athlete's own, or a clinician's: stage codes, Vmax); return (PNG, caption). The chart and
    its caption name the athlete as ``viewer_id`` reads them (``admin``: the viewer is an
    admin): with their number when another athlete the viewer sees shares the name. Blocking:
    run it with ``in_worker_thread``. Raises ReportUnavailable when there is nothing to
    chart."""
    with session_scope(engine, read_only=True) as session:
        athlete = session.get(Person, athlete_id)
        data = progress_data_for(
            session, athlete_id=athlete_id, today=_local_today(athlete, now), audience=audience
        )
        clash = _clash(session, athlete, viewer_id, admin)
    if clash:
        data = data.model_copy(
            update={"athlete_name": repo.numbered(data.athlete_name, athlete_id, clash)}
        )
    caption = _("{name}: progress up to {date}").format(
        name=data.athlete_name, date=format_long_date(data.today or now.date())
    )
    return render_progress_png(data, small=small), caption


def build_report_pdf(
    engine: Engine, athlete_id: int, now: dt.datetime, viewer_id: int | None, admin: bool = False
) -> tuple[bytes, str, str]:
    """Read the athlete's record and render the PDF with the chart; return (PDF, file name,
    the athlete as the viewer reads them: "Anna (#2)" when another athlete they see is called
    Anna). The athlete asking for their own report reads it, chart included, in their own
    words (no stage code, rule id or clinician's term); a clinician or an admin reads the
    clinician's. Blocking: run it with ``in_worker_thread``."""
    audience: Audience = (
        "athlete" if viewer_id is not None and viewer_id == athlete_id else "clinician"
    )
    with session_scope(engine, read_only=True) as session:
        viewer = session.get(Person, viewer_id) if viewer_id is not None else None
        athlete = session.get(Person, athlete_id)
        data = report_data_for(
            session, athlete_id=athlete_id, now=now, viewer=viewer, admin=admin, audience=audience
        )
        progress = progress_data_for(
            session, athlete_id=athlete_id, today=_local_today(athlete, now), audience=audience
        )
        clash = _clash(session, athlete, viewer_id, admin)
    # fpdf and matplotlib take about a second to import: loaded with the first report.
    from bot.reports.report_pdf import render_report_pdf

    pdf = render_report_pdf(data, render_progress_png(progress, for_print=True))
    local = _local_today(athlete, now)
    label = repo.numbered(data.athlete_name, athlete_id, clash)
    return pdf, f"sprintback-report-{athlete_id}-{local.isoformat()}.pdf", label
