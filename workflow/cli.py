"""Command-line tools, grouped per domain: ``flask users …``, ``flask demo …``."""

import click
from flask.cli import AppGroup

from workflow.database import transaction

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for a laptop or a training room.")
regions_cli = AppGroup("regions", help="The 20 regions (reference data).")


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
    from workflow.auth.services import AccountError, create_user

    try:
        with transaction():
            user = create_user(email=email, name=name, role=role, password=password,
                               region_code=region_code, language=language)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created user {user.id} <{user.email}> as {user.role}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def load_demo_command(if_empty):
    """Load regions, associations, users of every role and nominations in every state."""
    from workflow import demo

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
