"""Exports of the register and the queues as CSV and XLSX, with the filters applied.

The full IIN goes only into the Secretariat's own exports; anyone else (a coordinator
exporting their region's queue) gets it masked, whatever the page they came from shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask_babel import gettext as _
from openpyxl import Workbook

from workflow.domain import ROUTE_LABELS, SEX_LABELS, STATE_LABELS, Role
from workflow.iin import mask
from workflow.models import Membership, Nomination

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_iin(user, iin: str) -> str:
    return iin if user.role == Role.SECRETARIAT else mask(iin)


def _safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(v) for v in row])  # text: IINs keep their leading zeros
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    return to_xlsx(title, header, rows) if fmt == "xlsx" else to_csv(header, rows)


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
                     m.started_on.isoformat(), m.status,
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
                     str(STATE_LABELS[n.status]), n.status_changed_at.date().isoformat(),
                     (now - n.status_changed_at).days])
    return header, rows
