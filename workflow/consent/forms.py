"""The nominee's consent form and the coordinator's request button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import AnyOf, DataRequired

from workflow.consent.text import LANGUAGES


class GiveConsentForm(FlaskForm):
    """The nominee ticks the confirmation and gives consent to the text in ``language``."""

    language = HiddenField(validators=[AnyOf(LANGUAGES)])
    confirm = BooleanField(
        _l("I have read the text above and agree to the processing of my personal data on "
           "these terms."),
        validators=[DataRequired(_l("Tick the box to confirm that you have read the text."))])
    submit = SubmitField(_l("I give my consent"))


class RequestConsentForm(FlaskForm):
    """The coordinator's button: send (or send again) the consent request by e-mail."""
