"""Forms of the papers: the public verification (a code, or the PDF itself) and the buttons."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length


class VerifyCodeForm(FlaskForm):
    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "off", "placeholder": "ACDE-FHJK-MNPQ",
                                  "autocapitalize": "characters"})
    submit = SubmitField(_l("Check the code"))


class VerifyFileForm(FlaskForm):
    document = FileField(_l("The PDF file"), validators=[FileRequired(
        message=_l("Choose the PDF file you received."))])
    check = SubmitField(_l("Check the file"))


class AttachProtocolForm(FlaskForm):
    """Make the generated, sealed protocol the session's protocol (one per language)."""

    language = HiddenField(validators=[AnyOf(("kk", "ru"))])
