from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, PasswordField
from wtforms.validators import DataRequired

from workflow.candidates.forms import ValidIIN
from workflow.documents.forms import AcceptedDocument
from workflow.validators import HasHappened


class FindPersonForm(FlaskForm):
    """The IIN is posted, never put in an address; the field does not keep what was typed."""

    iin = PasswordField(_l("IIN of the person"), validators=[DataRequired(), ValidIIN()])


class ConsentWithdrawalForm(FlaskForm):
    withdrawn_on = DateField(_l("Consent withdrawn on"), validators=[DataRequired(),
                                                                     HasHappened()])
    document = FileField(_l("The signed withdrawal (PDF, JPEG or PNG)"),
                         validators=[FileRequired(_l("Attach the signed withdrawal.")),
                                     AcceptedDocument()])
