from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from workflow.documents.forms import AcceptedDocument
from workflow.domain import END_GROUND_LABELS
from workflow.validators import HasHappened


class EndMembershipForm(FlaskForm):
    ground = SelectField(_l("Ground (Art. 17)"), choices=[
        (g.value, label) for g, label in END_GROUND_LABELS.items()])
    ended_on = DateField(_l("Ended on"), validators=[DataRequired(), HasHappened()])
    document = FileField(_l("Basis document (PDF, JPEG or PNG)"),
                         validators=[FileRequired(_l("Attach the basis document.")),
                                     AcceptedDocument()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=4000)])


class RegisterImportForm(FlaskForm):
    file = FileField(_l("The register or the associations (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose the file."))])


class RegisterImportRunForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
