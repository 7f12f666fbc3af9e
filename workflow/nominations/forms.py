from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ActionForm(FlaskForm):
    """One pipeline action on one nomination; the version is what the person saw."""

    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    comment = TextAreaField(_l("Comment or reason"), validators=[Length(max=4000)])
