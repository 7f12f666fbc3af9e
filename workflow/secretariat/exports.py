"""Exports of the register and the queues as CSV and XLSX, with the filters applied.

The full IIN goes only into the Secretariat's own exports; anyone else (a coordinator
exporting their region's queue) gets it masked, whatever the page they came from shows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import abort, make_response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from workflow.domain import MEMBERSHIP_STATUS_LABELS, ROUTE_LABELS, SEX_LABELS, STATE_LABELS, Role
from workflow.iin import mask
from workflow.models import Membership, Nomination
from workflow.validators import day_of

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_iin(user, iin: str) -> str:
    return iin if user.role == Role.SECRETARIAT else mask(iin)


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), full-width forms
# included; tab and carriage return because some programs drop them and read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters a spreadsheet file cannot hold (XLSX refuses them; keep CSV the same).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value) -> str:
    """The cell's text, without characters no spreadsheet file can hold."""
    return _UNWRITABLE.sub("", "" if value is None else str(value))


def _safe(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula: a leading apostrophe makes it text."""
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_safe(v) for v in header])
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _string_cell(sheet, value) -> WriteOnlyCell:
    """A cell typed as text, so its value is never a formula, whatever it starts with, and an
    IIN keeps its leading zeros."""
    cell = WriteOnlyCell(sheet, value=_text(value))
    cell.data_type = "s"
    return cell


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_text(title)[:31])
    sheet.append([_string_cell(sheet, v) for v in header])
    for row in rows:
        sheet.append([_string_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    return to_xlsx(title, header, rows) if fmt == "xlsx" else to_csv(header, rows)


def download(fmt: str, name: str, header: Sequence[str], rows: Iterable[Sequence], *,
             title: str | None = None):
    """A list as a CSV or XLSX download (``name.fmt``), never kept by a browser or a proxy;
    404 for a format there is none of."""
    if fmt not in FORMATS:
        abort(404)
    response = make_response(render(fmt, title or name, header, rows))
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register_table(user, memberships: Iterable[Membership]) -> tuple[list[str], list[list]]:
    header = [_("Member number"), _("Surname"), _("Given name"), _("Patronymic"), _("IIN"),
              _("Date of birth"), _("Sex"), _("Ethnicity"), _("Region"), _("Route"),
              _("Association or nominating body"), _("Member since"), _("Status"),
              _("Ended on")]
    rows = []
    for m in memberships:
        c, n = m.candidate, m.nomination
        rows.append([m.member_number, c.surname, c.given_name, c.patronymic or "",
                     export_iin(user, c.iin), c.birth_date.isoformat(), str(SEX_LABELS[c.sex]),
                     c.ethnicity, m.region.name, str(ROUTE_LABELS[n.route]),
                     n.association.name if n.association else (n.nominating_body or ""),
                     m.started_on.isoformat(), str(MEMBERSHIP_STATUS_LABELS[m.status]),
                     m.ended_on.isoformat() if m.ended_on else ""])
    return header, rows


def queue_table(user, nominations: Iterable[Nomination], now) -> tuple[list[str], list[list]]:
    header = [_("Reference"), _("Surname"), _("Given name"), _("IIN"), _("Date of birth"),
              _("Region"), _("Route"), _("Association or nominating body"), _("State"),
              _("In this state since"), _("Days in this state")]
    rows = []
    for n in nominations:
        c = n.candidate
        rows.append([n.reference_code, c.surname, c.given_name, export_iin(user, c.iin),
                     c.birth_date.isoformat(), n.region.name, str(ROUTE_LABELS[n.route]),
                     n.association.name if n.association else (n.nominating_body or ""),
                     str(STATE_LABELS[n.status]), day_of(n.status_changed_at).isoformat(),
                     (now - n.status_changed_at).days])
    return header, rows


def nominations_table(user, nominations: Iterable[Nomination]) -> tuple[list[str], list[list]]:
    """A list of nominations (a coordinator's region, with the list's filters)."""
    header = [_("Reference"), _("Surname"), _("Given name"), _("Patronymic"), _("IIN"),
              _("Date of birth"), _("Region"), _("Route"), _("Association or nominating body"),
              _("State"), _("In this state since"), _("Entered on")]
    rows = []
    for n in nominations:
        c = n.candidate
        rows.append([n.reference_code, c.surname, c.given_name, c.patronymic or "",
                     export_iin(user, c.iin), c.birth_date.isoformat(), n.region.name,
                     str(ROUTE_LABELS[n.route]),
                     n.association.name if n.association else (n.nominating_body or ""),
                     str(STATE_LABELS[n.status]), day_of(n.status_changed_at).isoformat(),
                     day_of(n.created_at).isoformat()])
    return header, rows
