from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from workflow.notifications.messages import CHANNEL_LABELS, KIND_LABELS


class ButtonForm(FlaskForm):
    """A button that posts: mark read, retry the failed ones (only the CSRF token)."""


def preferences_form(kinds, current: dict[str, str], formdata=None):
    """A form with one channel choice per kind shown to this user."""

    class PreferencesForm(FlaskForm):
        pass

    choices = [SelectChoice(code, label) for code, label in CHANNEL_LABELS.items()]
    for kind in kinds:
        setattr(PreferencesForm, kind, SelectField(
            KIND_LABELS[kind], choices=choices, default=current.get(kind, "email"),
            validators=[DataRequired(_l("Choose how you want to hear of this."))],
        ))
    form = PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()
    return form
