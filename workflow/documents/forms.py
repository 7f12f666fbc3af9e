"""A WTForms validator that refuses what documents.services would refuse, as a field error."""

from werkzeug.datastructures import FileStorage
from wtforms.validators import StopValidation

from workflow.documents.services import check
from workflow.refusal import Refusal


class AcceptedDocument:
    """PDF, JPEG or PNG by content, at most MAX_DOCUMENT_BYTES; rewinds the stream after."""

    def __call__(self, form, field):
        data = field.data
        if not isinstance(data, FileStorage) or not data.filename:
            return
        try:
            check(data)
        except Refusal as error:
            raise StopValidation(str(error.message)) from None
        finally:
            data.stream.seek(0)
