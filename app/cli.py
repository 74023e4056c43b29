"""Flask CLI commands: create-user, seed-demo, worker, enqueue-ping, scan-sla, import-tax, import-enterprises, report,
rebuild-summaries."""
from __future__ import annotations

import click
from flask import Flask, current_app

from app.extensions import db
from app.models import ReportKind, Role


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(enqueue_ping)
    app.cli.add_command(scan_sla)
    app.cli.add_command(import_tax)
    app.cli.add_command(import_enterprises)
    app.cli.add_command(report)
    app.cli.add_command(rebuild_summaries)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role if r is not Role.enterprise]), required=True)
@click.option("--name", default=None, help="Display name (defaults to the part of the email before @).")
def create_user(email: str, role: str, name: str | None) -> None:
    """Create a staff account; the password is read from BUTLER_PASSWORD or asked for."""
    from app.services.users import UserError, create_user as create

    password = current_app.config.get("CREATE_USER_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create(email=email, name=name or email.split("@")[0], role=Role(role), password=password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Allow seeding even where the config forbids it.")
def seed_demo(force: bool) -> None:
    """Load the Jing'an Temple demo district (idempotent: a second run changes nothing)."""
    from app.seed import DEMO_PASSWORD, seed

    if not current_app.config.get("SEED_ALLOWED") and not force:
        raise click.ClickException("Demo data is not loaded in production (use --force if you really mean it).")
    summary = seed()
    db.session.commit()
    for line in summary.lines():
        click.echo(line)
    click.echo("\nDemo accounts (password for all: %s):" % DEMO_PASSWORD)
    for email, role in summary.accounts:
        click.echo(f"  {role:<10} {email}")


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="Queue names (default: all configured).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker whose jobs execute inside the app context (with the scheduler, the SLA scan and the monthly pack)."""
    from app.jobs.reports import REPORT_QUEUE, ensure_pack_schedule, sweep_partial_files
    from app.jobs.sla import SLA_QUEUE, ensure_sla_schedule
    from app.jobs.worker import make_worker
    from app.queue import get_queue, get_redis

    names = list(queues) or current_app.config["RQ_QUEUES"]
    if SLA_QUEUE in names:  # the scan runs every minute, chained through the scheduler
        click.echo(f"SLA scan every minute; next: {ensure_sla_schedule(get_queue(SLA_QUEUE))}")
    if REPORT_QUEUE in names:  # the monthly pack, at 06:00 Shanghai time on the 1st
        click.echo(f"Monthly pack; next: {ensure_pack_schedule(get_queue(REPORT_QUEUE))}")
    if removed := sweep_partial_files():  # *.part files (workbooks, error sheets) a killed worker left behind
        click.echo(f"Removed {removed} unfinished file{'s' if removed != 1 else ''} of a stopped worker")
    w = make_worker(current_app._get_current_object(), names, get_redis())
    w.work(with_scheduler=True, burst=burst)


@click.command("scan-sla")
def scan_sla() -> None:
    """Run one SLA breach scan now: mark milestones past due, escalate, print how many."""
    from app.services.sla import scan_breaches

    count = scan_breaches()
    db.session.commit()
    click.echo(f"{count} breach{'es' if count != 1 else ''} marked")


@click.command("rebuild-summaries")
def rebuild_summaries() -> None:
    """Recompute the dashboard's tax per building and month from every tax record, and forget the
    stored service figures of ended months (after loading data behind the app's back, e.g. with SQL)."""
    from app.services.summaries import forget_service_months, rebuild_tax_summary

    rows = rebuild_tax_summary()
    forget_service_months()
    db.session.commit()
    click.echo(f"{rows} building-month rows of tax; service figures of ended months will be computed again")


@click.command("enqueue-ping")
@click.option("--wait", default=20.0, help="Seconds to wait for the worker's answer.")
def enqueue_ping(wait: float) -> None:
    """Put a trivial job on the queue and wait for a worker to answer it."""
    import time

    from app.jobs.system import ping
    from app.queue import get_queue

    job = get_queue().enqueue(ping, result_ttl=60)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status == "finished":
            click.echo(f"queue ok: {job.return_value()}")
            return
        if status == "failed":
            raise click.ClickException(f"ping job failed: {job.latest_result().exc_string}")
        time.sleep(0.2)
    raise click.ClickException(f"no worker answered within {wait:.0f} s (job {job.id} is {status})")


def _run_import(service, path: str) -> None:
    """Run an import service on a file: print every error and exit 1, or commit and print the counts."""
    from app.services.imports import ImportFileError

    try:
        result = service(path)
    except ImportFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if result.errors:
        db.session.rollback()
        for error in result.errors:
            click.echo(f"row {error.row}, {error.column}: {error.reason}", err=True)
        count = len(result.errors)
        raise click.ClickException(f"{count} error{'s' if count != 1 else ''} found; nothing was imported.")
    db.session.commit()
    click.echo(result.summary())


@click.command("import-tax")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_tax(file: str) -> None:
    """Import monthly tax records (uscc, month, total_tax, district_tax) from an .xlsx or .csv file."""
    from app.services.imports import import_tax as service

    _run_import(service, file)


@click.command("import-enterprises")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_enterprises(file: str) -> None:
    """Import or update enterprises, matched by USCC, from an .xlsx or .csv file."""
    from app.services.imports import import_enterprises as service

    _run_import(service, file)


@click.command("report")
@click.argument("kind", metavar="KIND", type=click.Choice([k.value for k in ReportKind]))
@click.argument("period", metavar="YYYY-MM")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="The .xlsx file to write (default: butler-KIND-YYYY-MM.xlsx in the current folder).")
@click.option("--lang", type=click.Choice(["en", "zh_Hans_CN"]), default="en", show_default=True,
              help="The workbook's language (the Summary's indicator names are English keys in both).")
def report(kind: str, period: str, out: str | None, lang: str) -> None:
    """Build a report workbook now, without the queue: KIND is tax, retention, service or pack."""
    from pathlib import Path

    from app.reports import PeriodError
    from app.services.reports import check_period, write_workbook

    try:
        month = check_period(period)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from exc
    path = Path(out or f"butler-{kind}-{month}.xlsx")
    try:
        write_workbook(kind, month, path, locale=lang)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        db.session.rollback()
    click.echo(str(path.resolve()))
