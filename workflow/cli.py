"""Command-line tools, grouped per domain: ``flask users …``, ``flask demo …``."""

import click
from flask.cli import AppGroup

from workflow.database import transaction

users_cli = AppGroup("users", help="Manage user accounts.")


class _Cli:
    """Who the audit trail names for a change made from the command line."""

    id = None
    role = "cli"
    region_id = None


CLI = _Cli()
demo_cli = AppGroup("demo", help="Demo data for a laptop or a training room.")
regions_cli = AppGroup("regions", help="The 20 regions (reference data).")
audit_cli = AppGroup("audit", help="The audit trail and its hash chain.")


@audit_cli.command("verify")
def verify_audit_command():
    """Walk the audit chain; report the first broken link (exit 1), or that it holds."""
    from workflow import audit

    checked, broken = audit.verify()
    if broken is not None:
        click.echo(f"BROKEN after {checked} events: {broken}", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain holds: {checked} events")


@regions_cli.command("load")
def load_regions_command():
    """Insert or update the 20 regions from the bundled CSV (safe to run again)."""
    from workflow.regions import load_regions

    with transaction():
        added = load_regions()
    click.echo(f"regions loaded: {added} added, the rest updated")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["coordinator", "secretariat", "member", "admin"]))
@click.option("--region", "region_code", help="ISO code of the region, e.g. KZ-75 (coordinators).")
@click.option("--language", type=click.Choice(["kk", "ru", "en"]))
@click.password_option()
def create_user_command(email, name, role, region_code, language, password):
    """Create a user account."""
    from workflow.auth.services import create_user
    from workflow.refusal import Refusal

    try:
        with transaction(actor=CLI):
            user = create_user(email=email, name=name, role=role, password=password,
                               region_code=region_code, language=language)
    except Refusal as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created user {user.id} <{user.email}> as {user.role}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def load_demo_command(if_empty):
    """Load regions, associations, users of every role and nominations in every state."""
    from flask import current_app

    from workflow import demo

    if current_app.config.get("PRODUCTION"):
        # Demo accounts share one published password: never on a server with real people.
        raise click.ClickException(
            "demo data is refused under the production configuration (TIZIM_CONFIG=production): "
            "its accounts share a published password. Load it on a laptop or a training server "
            "with TIZIM_CONFIG=development.")
    if if_empty and not demo.is_empty():
        click.echo("Demo data already loaded.")
    else:
        demo.load()
        click.echo("Demo data loaded.")
    click.echo("")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    click.echo("  admin        admin@tizim.kz")
    click.echo("  secretariat  secretariat@tizim.kz")
    click.echo("  coordinator  coordinator.kz-75@tizim.kz (Almaty; every region: coordinator.<iso code>@tizim.kz)")
    click.echo(f"  member       {demo.DEMO_MEMBER_EMAIL}")
    click.echo("")
    click.echo("A nominee follows a nomination without an account at /status (reference code and")
    click.echo("date of birth).")
    click.echo("")


import_cli = AppGroup("import", help="Bring in records kept before Tizim.")


@import_cli.command("register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--officer", "officer_email",
              help="E-mail of the Secretariat officer the audit trail names (default: Tizim).")
@click.option("--language", type=click.Choice(["kk", "ru", "en"]),
              help="The language of the report (default: DEFAULT_LANGUAGE).")
def import_register_command(file, dry_run, officer_email, language):
    """Import the existing register (members, associations) from a CSV or XLSX FILE."""
    from pathlib import Path

    from flask import current_app
    from flask_babel import force_locale
    from sqlalchemy import select

    from workflow import audit
    from workflow.domain import SYSTEM, Role
    from workflow.extensions import db
    from workflow.models import User
    from workflow.register import imports

    actor = SYSTEM
    if officer_email:
        actor = db.session.scalar(select(User).where(User.email == officer_email.strip().lower(),
                                                     User.role == Role.SECRETARIAT,
                                                     User.active.is_(True)))
        if actor is None:
            raise click.ClickException("no active Secretariat officer with this e-mail")
    data = Path(file).read_bytes()
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        with audit.acting_as(actor, via="cli"):
            report = (imports.check(file, data) if dry_run else imports.run(actor, file, data))
        for problem in report.problems:
            click.echo(f"file: {problem}", err=True)
        for row in report.rows:
            for problem in row.problems:
                click.echo(f"{row.sheet} line {row.line} ({row.label or '—'}): {problem}",
                           err=True)
        for sheet in (imports.ASSOCIATIONS, imports.MEMBERS):
            click.echo(f"{sheet}: {report.count(sheet, 'new')} new, "
                       f"{report.count(sheet, 'present')} already in Tizim, "
                       f"{report.count(sheet, 'error')} with problems")
    if not report.ok:
        click.echo("nothing was imported: correct the rows above and run again", err=True)
        raise SystemExit(1)
    click.echo("dry run: nothing was written" if dry_run else "imported")
