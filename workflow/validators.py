"""Form validators more than one capability uses: dates that have happened; the recusal
fields of a vote form's row (a regional session's and a Council meeting's)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, StopValidation, ValidationError

from workflow.domain import RECUSAL_REASON_LABELS
from workflow.voting import Recusal

# Nothing Tizim records (an order, a consent, the end of a membership) happened before this.
EARLIEST = date(1900, 1, 1)


def today() -> date:
    """Today where the Assembly sits (``TIMEZONE``), not where the server's clock is set."""
    return day_of(datetime.now(UTC))


def day_of(moment: datetime) -> date:
    """The date of ``moment`` (an aware time, as the database gives it) where the Assembly
    sits: a step taken at 20:00 UTC is dated the next day in Astana."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


class HasHappened:
    """A date of something done (signed, given, ended): not after today, not before 1900."""

    def __call__(self, form, field):
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError(_l("This date is in the future. Give the date on which it "
                                     "happened: today at the latest."))
        if field.data < EARLIEST:
            raise ValidationError(_l("This date is too far in the past: check the year."))


# Nor is anything searched for after this (a year typed with one digit too many).
LATEST = date(2999, 12, 31)


class InRecordYears:
    """A date to search by (from, to): within the years a record can hold, 1900 to 2999."""

    def __call__(self, form, field):
        if field.data is not None and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Give a date between 1900 and 2999: check the year."))


class Chosen:
    """At least one box of a group of checkboxes ticked.

    ``DataRequired`` would do it on the server, but its ``required`` flag is rendered on every
    checkbox of the group, and the browser then refuses to send the form until each one is
    ticked. This check has no flag: the browser sends any choice, the server refuses none.
    """

    field_flags: dict = {}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            field.errors[:] = []
            raise StopValidation(self.message)


def recusal_choices():
    return [("", _l("Not recused")), *RECUSAL_REASON_LABELS.items()]


class RecusalFields:
    """Participants recused from one item (a conflict of interest), in a row of a vote form."""

    recused = IntegerField(_l("Recused"),
                           validators=[Optional(), NumberRange(min=0, max=10000)])
    recusal_names = StringField(_l("Who is recused"), validators=[Optional(), Length(max=500)])
    recusal_reason = SelectField(_l("Why"), choices=recusal_choices, default="")
    recusal_note = StringField(_l("Details"), validators=[Optional(), Length(max=500)])

    def recusal(self) -> Recusal:
        """The row's recusal, as the services count it (none: a count of 0)."""
        return Recusal(self.recused.data or 0, self.recusal_names.data or "",
                       self.recusal_reason.data or "", self.recusal_note.data or "")
