from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class StatusCheckForm(FlaskForm):
    code = StringField(_l("Reference code"), validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "off", "placeholder": "ABCD-EFGH",
                                  "autocapitalize": "characters"})
    birth_date = DateField(_l("Your date of birth"), validators=[DataRequired(message=_l(
        "Give your date of birth as on your identity card."))])
    submit = SubmitField(_l("Show the stage"))
