"""The existing register, brought in: members and associations from a CSV or XLSX file.

``check`` reads the file and says, row by row, what importing it would do and what stands in
the way (a wrong IIN, a person twice, an unknown region, a date that does not parse …),
writing nothing. ``run`` imports only a file without a single problem, all in one
transaction, and is idempotent: a member already in the register under the same number and
IIN, or an association already known by its BIN (or name and region), is left as it is, so
running the same file again changes nothing.

The person is taken through ``workflow.candidates.services`` (found by IIN or created);
each member rests on a nomination that enters the pipeline as ``member`` with its
``imported`` event (``pipeline.enter_imported``), so the register, the composition and the
member's history show them like any other member. No account or invitation is sent: the
member page's "send the invitation" does it when the Secretariat is ready.

Columns: ``docs/register-import.md``. Messages never carry an IIN (rows are named by line
and member number).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from workflow import audit, pipeline
from workflow.associations.services import add as add_association
from workflow.candidates import services as candidates
from workflow.database import raise_counter, transaction
from workflow.domain import (
    AssociationKind,
    AssociationLevel,
    ConsentForm,
    MembershipStatus,
    Route,
)
from workflow.extensions import db
from workflow.iin import InvalidIIN, normalize, parse_iin, validate_bin
from workflow.models import Association, Membership, Nomination, Region
from workflow.pipeline import FINAL_STATES
from workflow.refusal import Refusal
from workflow.validators import EARLIEST

MEMBERS, ASSOCIATIONS = "members", "associations"
# The Assembly was founded on 1 March 1995: no membership started before it.
FOUNDED = date(1995, 3, 1)
MAX_ROWS = 5000

MEMBER_COLUMNS = ("member_number", "iin", "surname", "given_name", "patronymic", "birth_date",
                  "sex", "ethnicity", "region", "route", "association", "started_on", "basis",
                  "occupation", "position", "phone", "email", "consent_given_on",
                  "consent_form", "consent_scope")
MEMBER_REQUIRED = ("member_number", "iin", "surname", "given_name", "ethnicity", "region",
                   "route", "started_on", "basis")
ASSOCIATION_COLUMNS = ("name", "level", "kind", "region", "bin")
ASSOCIATION_REQUIRED = ("name", "level")
LIMITS = {"member_number": 32, "surname": 100, "given_name": 100, "patronymic": 100,
          "ethnicity": 100, "basis": 300, "occupation": 300, "position": 300, "phone": 32,
          "email": 254, "name": 300, "consent_scope": 4000}

SEXES = {"male": "male", "m": "male", "м": "male", "муж": "male", "мужской": "male",
         "ер": "male", "female": "female", "f": "female", "ж": "female", "жен": "female",
         "женский": "female", "әйел": "female"}
IIN_PROBLEMS = {
    "format": _l("The IIN must be twelve digits."),
    "century": _l("The IIN's seventh digit (century and sex) is not 1 to 6."),
    "date": _l("The IIN does not begin with a real date of birth."),
    "checksum": _l("The IIN's check digit is wrong: a digit was mistyped."),
}
BIN_PROBLEMS = {
    "format": _l("The BIN must be twelve digits."),
    "date": _l("The BIN does not begin with a real year and month."),
    "century": _l("The BIN's fifth digit (kind of organisation) is not 4, 5 or 6."),
    "checksum": _l("The BIN's check digit is wrong: a digit was mistyped."),
}


@dataclass
class Row:
    """One row of the file and what importing it would do."""

    sheet: str  # MEMBERS | ASSOCIATIONS
    line: int  # as the spreadsheet numbers it (the header is line 1)
    label: str  # the member number or the association's name: never the IIN
    values: dict[str, Any] = field(default_factory=dict)
    problems: list = field(default_factory=list)  # lazy strings, said in the reader's language
    present: bool = False  # already in Tizim: nothing to do

    @property
    def outcome(self) -> str:
        return "error" if self.problems else ("present" if self.present else "new")


@dataclass
class Report:
    """What a file holds and what importing it would do (or did)."""

    rows: list[Row] = field(default_factory=list)
    problems: list = field(default_factory=list)  # about the file itself
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)

    def count(self, sheet: str, outcome: str) -> int:
        return sum(1 for r in self.rows if r.sheet == sheet and r.outcome == outcome)

    @property
    def with_problems(self) -> list[Row]:
        return [r for r in self.rows if r.problems]


# --- Reading the file. ----------------------------------------------------------------------


def read(filename: str, data: bytes) -> tuple[dict[str, list[tuple[int, dict]]], list]:
    """The file's tables, recognised by their header: members (a ``member_number`` column)
    and associations (``name`` and ``level``). Returns the tables and the file's problems."""
    suffix = PurePath(filename or "").suffix.lower()
    try:
        if suffix == ".xlsx" or data[:2] == b"PK":
            tables = list(_xlsx_tables(data))
        elif suffix in (".csv", ".txt", ""):
            tables = [_csv_table(data)]
        else:
            return {}, [_l("Give a CSV or XLSX file.")]
    except Exception:  # noqa: BLE001 - a damaged file is an answer, not a server error
        current_app.logger.info("register import: a file that could not be read")
        return {}, [_l("The file could not be read: save it again as CSV (UTF-8) or XLSX.")]
    found: dict[str, list[tuple[int, dict]]] = {}
    problems: list = []
    for header, rows in tables:
        names = [_column(h) for h in header]
        sheet = (MEMBERS if "member_number" in names else
                 ASSOCIATIONS if {"name", "level"} <= set(names) else None)
        if sheet is None:
            if any(names):
                problems.append(_l("A table's header names neither members (member_number, "
                                   "iin, …) nor associations (name, level, …)."))
            continue
        known = MEMBER_COLUMNS if sheet == MEMBERS else ASSOCIATION_COLUMNS
        unknown = [n for n in names if n and n not in known]
        if unknown:
            problems.append(_l("Unknown columns: %(names)s.", names=", ".join(unknown)))
        for line, cells in rows:
            record = {n: _cell(v) for n, v in zip(names, cells, strict=False) if n}
            if any(v not in (None, "") for v in record.values()):
                found.setdefault(sheet, []).append((line, record))
    if not found and not problems:
        problems.append(_l("The file holds no rows of members or associations."))
    if sum(len(rows) for rows in found.values()) > MAX_ROWS:
        problems.append(_l("The file has more than %(n)s rows: split it.", n=MAX_ROWS))
    return found, problems


def _column(header) -> str:
    return re.sub(r"[\s\-]+", "_", str(header or "").strip().lower())


def _cell(value) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
    return value


def _csv_table(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251")  # what Excel saves in a Russian-language Windows
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return [], []
    return rows[0], [(i, r) for i, r in enumerate(rows[1:], start=2)]


def _xlsx_tables(data: bytes):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                continue
            yield list(header), [(i, list(r)) for i, r in enumerate(rows, start=2)]
    finally:
        book.close()


# --- Values. --------------------------------------------------------------------------------


def parse_date(value) -> date | None:
    """A date as a spreadsheet or a person writes it: a date cell, 2024-03-01, 01.03.2024."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def _text(row: Row, name: str, required: bool = False) -> str:
    value = row.values.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        row.problems.append(_l("“%(column)s” is empty.", column=name))
    elif len(text) > LIMITS.get(name, 300):
        row.problems.append(_l("“%(column)s” is longer than %(n)s characters.", column=name,
                               n=LIMITS.get(name, 300)))
        text = text[:LIMITS.get(name, 300)]
    return text


def _date(row: Row, name: str, today: date, *, required: bool = False,
          earliest: date = EARLIEST) -> date | None:
    value = row.values.get(name)
    if value in (None, ""):
        if required:
            row.problems.append(_l("“%(column)s” is empty.", column=name))
        return None
    parsed = parse_date(value)
    if parsed is None:
        row.problems.append(_l("“%(column)s” is not a date (write 2024-03-01 or 01.03.2024).",
                               column=name))
    elif parsed > today:
        row.problems.append(_l("“%(column)s” is in the future.", column=name))
    elif parsed < earliest:
        row.problems.append(_l("“%(column)s” is before %(date)s.", column=name,
                               date=earliest.isoformat()))
    else:
        return parsed
    return None


class Regions:
    """Regions by ISO code or name in any of the three languages."""

    def __init__(self):
        self.by_key: dict[str, Region] = {}
        for region in db.session.scalars(select(Region)):
            for key in (region.iso_code, region.name_kk, region.name_ru, region.name_en):
                self.by_key[key.strip().casefold()] = region

    def find(self, row: Row, name: str = "region", required: bool = True) -> Region | None:
        text = _text(row, name, required=required)
        if not text:
            return None
        region = self.by_key.get(text.casefold())
        if region is None:
            row.problems.append(_l("Unknown region “%(region)s”: give its code (KZ-75) or its "
                                   "name.", region=text))
        return region


# --- Checking. ------------------------------------------------------------------------------


@dataclass
class Plan:
    """The checked rows, with what each resolves to."""

    report: Report
    associations: list[tuple[Row, dict]] = field(default_factory=list)
    members: list[tuple[Row, dict]] = field(default_factory=list)


def check(filename: str, data: bytes, *, today: date | None = None) -> Report:
    """Read the file and report, row by row, what importing it would do. Writes nothing."""
    return _plan(filename, data, today=today).report


def _plan(filename: str, data: bytes, *, today: date | None = None) -> Plan:
    from workflow.validators import today as local_today

    today = today or local_today()
    tables, problems = read(filename, data)
    plan = Plan(Report(problems=list(problems)))
    regions = Regions()
    file_associations: dict[str, dict] = {}
    for line, values in tables.get(ASSOCIATIONS, []):
        row = Row(ASSOCIATIONS, line, str(values.get("name") or ""), values)
        fields = _check_association(row, regions, file_associations)
        plan.report.rows.append(row)
        plan.associations.append((row, fields))
    seen_iin: dict[str, int] = {}
    seen_number: dict[str, int] = {}
    for line, values in tables.get(MEMBERS, []):
        row = Row(MEMBERS, line, str(values.get("member_number") or "").upper(), values)
        fields = _check_member(row, regions, file_associations, seen_iin, seen_number, today)
        plan.report.rows.append(row)
        plan.members.append((row, fields))
    return plan


def _association_key(name: str, region_id: int | None) -> str:
    return f"{name.casefold()}|{region_id or ''}"


def _check_association(row: Row, regions: Regions, in_file: dict[str, dict]) -> dict:
    name = _text(row, "name", required=True)
    level = _text(row, "level", required=True).lower()
    if level and level not in set(AssociationLevel):
        row.problems.append(_l("Unknown level “%(value)s”: write republican or regional.",
                               value=level))
    kind = _text(row, "kind").lower() or AssociationKind.ETHNO_CULTURAL
    if kind not in set(AssociationKind):
        row.problems.append(_l("Unknown kind “%(value)s”: write ethno_cultural or other.",
                               value=kind))
    region = regions.find(row, required=level == AssociationLevel.REGIONAL)
    bin_ = _text(row, "bin")
    if bin_:
        try:
            bin_ = validate_bin(bin_)
        except InvalidIIN as error:
            row.problems.append(BIN_PROBLEMS[error.reason])
    fields = {"name": name, "level": level, "kind": kind,
              "region_id": region.id if region else None, "bin": bin_ or None}
    keys = [_association_key(name, fields["region_id"])] + ([f"bin:{bin_}"] if bin_ else [])
    for key in keys:
        if key in in_file:
            row.problems.append(_l("The same association is on line %(line)s.",
                                   line=in_file[key]["line"]))
            break
    for key in keys:
        in_file.setdefault(key, {"line": row.line, "fields": fields})
    if not row.problems:
        row.present = _existing_association(fields) is not None
    return fields


def _existing_association(fields: dict) -> Association | None:
    """The association Tizim already holds: by BIN, else by name (any case) and region.

    Names are compared in Python: SQLite's ``lower()`` leaves Cyrillic as it is."""
    if fields.get("bin"):
        found = db.session.scalar(select(Association).where(Association.bin == fields["bin"]))
        if found is not None:
            return found
    name = fields["name"].casefold()
    return next((a for a in _named(fields["name"])
                 if a.name.casefold() == name and a.region_id == fields["region_id"]), None)


def _named(name: str) -> list[Association]:
    """Associations whose name is ``name`` in any case (a few rows, compared by the caller)."""
    first = name.strip()[:1]
    stmt = select(Association).where(func.length(Association.name) == len(name.strip()))
    if first:
        stmt = stmt.where(Association.name.startswith(first.upper())
                          | Association.name.startswith(first.lower()))
    return list(db.session.scalars(stmt))


def _check_member(row: Row, regions: Regions, file_associations: dict[str, dict],
                  seen_iin: dict[str, int], seen_number: dict[str, int], today: date) -> dict:
    number = _text(row, "member_number", required=True).upper()
    iin = normalize(str(row.values.get("iin") or ""))
    if isinstance(row.values.get("iin"), int):  # a spreadsheet number loses leading zeros
        iin = iin.zfill(12)
    info = None
    if not iin:
        row.problems.append(_l("“%(column)s” is empty.", column="iin"))
    else:
        try:
            info = parse_iin(iin)
        except InvalidIIN as error:
            row.problems.append(IIN_PROBLEMS[error.reason])
    fields: dict[str, Any] = {"iin": iin, "member_number": number}
    for name in ("surname", "given_name", "ethnicity", "basis"):
        fields[name] = _text(row, name, required=True)
    for name in ("patronymic", "occupation", "position", "phone", "consent_scope"):
        fields[name] = _text(row, name)
    email = _text(row, "email")
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            row.problems.append(_l("“%(column)s” is not an e-mail address.", column="email"))
    fields["email"] = email or None
    birth_date = _date(row, "birth_date", today)
    sex_text = _text(row, "sex").casefold()
    sex = SEXES.get(sex_text) if sex_text else None
    if sex_text and sex is None:
        row.problems.append(_l("Unknown sex “%(value)s”: write male or female.", value=sex_text))
    if info is not None:
        if birth_date is not None and birth_date != info.birth_date:
            row.problems.append(_l("The date of birth does not agree with the IIN."))
        if sex is not None and sex != info.sex:
            row.problems.append(_l("The sex does not agree with the IIN."))
        fields["birth_date"], fields["sex"] = info.birth_date, info.sex
    consent_on = _date(row, "consent_given_on", today)
    consent_form = _text(row, "consent_form").lower()
    if consent_form and consent_form not in set(ConsentForm):
        row.problems.append(_l("Unknown form of consent “%(value)s”: write written or "
                               "electronic.", value=consent_form))
    fields.update(consent_given_on=consent_on, consent_form=consent_form or None)
    region = regions.find(row)
    fields["region_id"] = region.id if region else None
    route = _text(row, "route", required=True).lower()
    if route and route not in set(Route):
        row.problems.append(_l("Unknown route “%(value)s”: write regional, association, "
                               "council or rotation.", value=route))
    fields["route"] = route
    fields["started_on"] = _date(row, "started_on", today, required=True, earliest=FOUNDED)
    fields["association"] = _association_of(row, fields["region_id"], file_associations)

    if iin and iin in seen_iin:
        row.problems.append(_l("The same person (IIN) is on line %(line)s.", line=seen_iin[iin]))
    if number and number in seen_number:
        row.problems.append(_l("Member number %(number)s is also on line %(line)s.",
                               number=number, line=seen_number[number]))
    if iin:
        seen_iin.setdefault(iin, row.line)
    if number:
        seen_number.setdefault(number, row.line)
    if info is not None and number:
        _check_against_the_record(row, fields)
    return fields


def _association_of(row: Row, region_id: int | None, in_file: dict[str, dict]):
    """The nominating association: an id already in Tizim, the file's row, or None."""
    text = _text(row, "association")
    if not text:
        return None
    normal = normalize(text)
    if re.fullmatch(r"\d{12}", normal):
        found = db.session.scalar(select(Association.id).where(Association.bin == normal))
        if found is not None:
            return found
        if f"bin:{normal}" in in_file:
            return in_file[f"bin:{normal}"]["fields"]
    else:
        for key in (_association_key(text, region_id), _association_key(text, None)):
            if key in in_file:
                return in_file[key]["fields"]
        for association in _named(text):
            if association.name.casefold() == text.casefold() and (
                    association.region_id in (region_id, None)
                    or association.level == AssociationLevel.REPUBLICAN):
                return association.id
    row.problems.append(_l("Unknown association “%(name)s”: add it to the associations (in "
                           "this file or in Tizim) first.", name=text))
    return None


def _check_against_the_record(row: Row, fields: dict) -> None:
    """What Tizim already holds: the same member (nothing to do), or a conflict."""
    by_number = db.session.scalar(select(Membership).where(
        Membership.member_number == fields["member_number"]))
    person = candidates.find(fields["iin"])
    if by_number is not None:
        if person is not None and by_number.candidate_id == person.id:
            row.present = True
        else:
            row.problems.append(_l("Member number %(number)s belongs to another person in the "
                                   "register.", number=fields["member_number"]))
        return
    if person is None:
        return
    if (person.surname.casefold() != fields["surname"].casefold()
            or person.birth_date != fields.get("birth_date")):
        row.problems.append(_l("A person with this IIN is already in Tizim under another name "
                               "or date of birth: check the IIN."))
    active = db.session.scalar(select(Membership.member_number).where(
        Membership.candidate_id == person.id, Membership.status == MembershipStatus.ACTIVE))
    if active is not None:
        row.problems.append(_l("This person is already a member, with number %(number)s.",
                               number=active))
    open_nomination = db.session.scalar(select(func.count()).where(
        Nomination.candidate_id == person.id,
        Nomination.status.not_in([s.value for s in FINAL_STATES])))
    if open_nomination:
        row.problems.append(_l("This person has a nomination in progress: finish or withdraw "
                               "it first."))


# --- Importing. -----------------------------------------------------------------------------


def run(actor, filename: str, data: bytes, *, today: date | None = None) -> Report:
    """Check the file and, if no row has a problem, import it in one transaction.

    Idempotent: what is already in Tizim is left as it is. A file with any problem writes
    nothing (the report says why).

    :raise Refusal: the actor may not import the register (``not_allowed``).
    """
    if actor.role not in pipeline.IMPORTERS:
        raise Refusal(_l("Only the Secretariat brings in the existing register."),
                      code="not_allowed", status=403)
    with transaction(actor=actor):
        plan = _plan(filename, data, today=today)
        if not plan.report.ok:
            return plan.report
        created: dict[int, int] = {}  # id(fields) of a file association -> its new id
        for row, fields in plan.associations:
            if not row.present:
                association = add_association(actor, fields)
                created[id(fields)] = association.id
        for row, fields in plan.members:
            if not row.present:
                _import_member(actor, fields, created, source=PurePath(filename or "").name)
        _raise_number_counters(fields["member_number"] for _, fields in plan.members)
        plan.report.imported = True
        return plan.report


def _import_member(actor, fields: dict, created: dict[int, int], *, source: str) -> Membership:
    association = fields["association"]
    if isinstance(association, dict):
        association = created.get(id(association)) or _existing_association(association).id
    person = candidates.take(actor, {k: v for k, v in fields.items()
                                     if k in candidates.PERSON_FIELDS or k == "iin"},
                             region_id=fields["region_id"])
    nomination = Nomination(candidate=person, route=fields["route"], region_id=fields["region_id"],
                            association_id=association, nominating_body=fields["basis"],
                            justification="")
    pipeline.enter_imported(nomination, actor, data={
        "started_on": fields["started_on"], "basis": fields["basis"], "source": source})
    membership = Membership(nomination_id=nomination.id, candidate_id=person.id,
                            region_id=fields["region_id"], member_number=fields["member_number"],
                            started_on=fields["started_on"])
    db.session.add(membership)
    audit.record(membership, pipeline.IMPORTED, actor=actor,
                 changes=["candidate_id", "member_number", "nomination_id", "region_id",
                          "started_on", "status"],
                 data={"started_on": fields["started_on"], "source": source})
    db.session.flush()
    return membership


def _raise_number_counters(numbers: Iterable[str]) -> None:
    """Numbers issued later continue after the imported ones of the same year."""
    pattern = current_app.config["MEMBER_NUMBER_PATTERN"]
    regex = number_pattern(pattern)
    if regex is None:
        return
    highest: dict[int, int] = {}
    for number in numbers:
        match = regex.fullmatch(number)
        if match:
            year, seq = int(match["year"]), int(match["seq"])
            highest[year] = max(highest.get(year, 0), seq)
    for year, seq in highest.items():
        raise_counter(f"member-number-{year}", seq)


def number_pattern(pattern: str) -> re.Pattern | None:
    """A regex for the numbers ``MEMBER_NUMBER_PATTERN`` makes, with ``year`` and ``seq``."""
    parts = re.split(r"(\{year[^}]*\}|\{seq[^}]*\})", pattern)
    if not any(p.startswith("{year") for p in parts) or not any(
            p.startswith("{seq") for p in parts):
        return None
    out = "".join(r"(?P<year>\d{4})" if p.startswith("{year") else
                  r"(?P<seq>\d+)" if p.startswith("{seq") else re.escape(p) for p in parts)
    return re.compile(out, re.IGNORECASE)


# --- The page's file between the dry run and the import. ------------------------------------

TOKEN = re.compile(r"[0-9a-f]{32}")
STASH_HOURS = 24


def _stash_dir():
    from pathlib import Path

    return Path(current_app.config["UPLOAD_DIR"]) / "register-imports"


def stash(filename: str, data: bytes) -> str:
    """Keep an uploaded file (it holds personal data: on this server, for a day at most)
    between the page's dry run and its import; return the token that names it."""
    import secrets
    import time

    folder = _stash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # what was checked and never imported
        if old.stat().st_mtime < time.time() - STASH_HOURS * 3600:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    suffix = ".xlsx" if PurePath(filename or "").suffix.lower() == ".xlsx" else ".csv"
    (folder / f"{token}{suffix}").write_bytes(data)
    return token


def unstash(token: str) -> tuple[str, bytes] | None:
    """The stashed file ``token`` names, or None (unknown, expired, or already imported)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    for suffix in (".csv", ".xlsx"):
        path = _stash_dir() / f"{token}{suffix}"
        if path.is_file():
            return path.name, path.read_bytes()
    return None


def discard(token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        for suffix in (".csv", ".xlsx"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)
