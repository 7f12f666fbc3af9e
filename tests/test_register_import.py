"""The existing register brought in: a dry run reports every bad row and writes nothing; the
import is all or nothing and can run again without doubling anyone; the imported members are
in the register with their "imported" event."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from tests import factories as f
from workflow import audit, events, pipeline
from workflow.domain import SYSTEM, Role, Route, State
from workflow.extensions import db
from workflow.models import (
    Association,
    AuditEvent,
    Candidate,
    Counter,
    Membership,
    Nomination,
)
from workflow.register import imports, services
from workflow.register.services import Filters

SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "samples"
HEADER = ("member_number,iin,surname,given_name,patronymic,birth_date,sex,ethnicity,region,"
          "route,association,started_on,basis")
GOOD = {  # three valid IINs (check digits computed) and one each of the row kinds
    "kim": "APK-2019-00012,680512301011,Ким,Виктор,Николаевич,12.05.1968,male,кореец,KZ-75,"
           "council,,2019-04-25,Распоряжение № 12",
    "bond": "APK-2021-00031,751103401012,Бондаренко,Оксана,,1975-11-03,female,украинка,Алматы,"
            "regional,,2021-04-28,Решение сессии № 5",
    "seit": "APK-2022-00007,590128301015,Сейітов,Бауыржан,,,,қазақ,KZ-79,council,,28.04.2022,"
            "Решение Совета № 3",
}


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Candidate, Nomination, Membership, Association, AuditEvent))


def officer():
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    return user


# Each kind of bad row, the words its report uses (English), and the line it concerns.
BAD_ROWS = {
    "wrong check digit": (GOOD["kim"].replace("680512301011", "680512301012"),
                          "check digit is wrong"),
    "IIN not twelve digits": (GOOD["kim"].replace("680512301011", "68051230101"),
                              "twelve digits"),
    "unknown region": (GOOD["kim"].replace("KZ-75", "KZ-99"), "Unknown region"),
    "date does not parse": (GOOD["kim"].replace("2019-04-25", "25 April 2019"), "not a date"),
    "date in the future": (GOOD["kim"].replace("2019-04-25", "2099-01-01"), "in the future"),
    "before the Assembly": (GOOD["kim"].replace("2019-04-25", "1990-01-01"), "is before"),
    "unknown route": (GOOD["kim"].replace(",council,", ",senate,"), "Unknown route"),
    "birth date disagrees": (GOOD["kim"].replace("12.05.1968", "13.05.1968"),
                             "date of birth does not agree"),
    "sex disagrees": (GOOD["kim"].replace(",male,", ",female,"), "sex does not agree"),
    "missing surname": (GOOD["kim"].replace(",Ким,", ",,"), "“surname” is empty"),
    "unknown association": (GOOD["kim"].replace(",council,,", ",council,Nowhere society,"),
                            "Unknown association"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_a_dry_run_reports_each_kind_of_bad_row_and_writes_nothing(app, english, kind):
    row, words = BAD_ROWS[kind]
    before = counts()
    report = imports.check("register.csv", csv_file(GOOD["bond"], row))
    assert not report.ok
    bad = report.with_problems
    assert [r.line for r in bad] == [3]  # the header is line 1: the second row
    with force_locale("en"):
        assert any(words in str(p) for p in bad[0].problems), [str(p) for p in bad[0].problems]
    assert "680512301011" not in bad[0].label  # rows are named by member number, never IIN
    assert counts() == before


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_one_bad_row_imports_nothing(app, kind):
    user = officer()
    before = counts()
    report = imports.run(user, "register.csv", csv_file(GOOD["bond"], BAD_ROWS[kind][0]))
    assert not report.imported and not report.ok
    db.session.rollback()
    assert counts() == before


def test_the_same_person_twice_and_the_same_number_twice_are_reported(app, english):
    twice = GOOD["kim"].replace("APK-2019-00012", "APK-2019-00099")
    number_twice = GOOD["bond"].replace("APK-2021-00031", "APK-2019-00012")
    report = imports.check("r.csv", csv_file(GOOD["kim"], twice, number_twice))
    with force_locale("en"):
        said = {r.line: " ".join(str(p) for p in r.problems) for r in report.with_problems}
    assert "same person (IIN) is on line 2" in said[3]
    assert "APK-2019-00012 is also on line 2" in said[4]
    assert 2 not in said


def test_a_person_already_a_member_or_nominated_is_reported(app, english):
    member = f.membership("KZ-75")
    nominee = f.nomination(State.SUBMITTED).candidate
    db.session.commit()

    def row_for(candidate, number):
        return (f"{number},{candidate.iin},{candidate.surname},{candidate.given_name},,,,"
                f"қазақ,KZ-75,council,,2020-01-01,Распоряжение № 1")

    report = imports.check("r.csv", csv_file(row_for(member.candidate, "OLD-1"),
                                             row_for(nominee, "OLD-2")))
    with force_locale("en"):
        said = {r.line: " ".join(str(p) for p in r.problems) for r in report.with_problems}
    assert f"already a member, with number {member.member_number}" in said[2]
    assert "nomination in progress" in said[3]


def test_a_number_of_another_person_is_reported(app, english):
    member = f.membership("KZ-75")
    db.session.commit()
    report = imports.check("r.csv", csv_file(GOOD["kim"].replace("APK-2019-00012",
                                                                 member.member_number)))
    with force_locale("en"):
        assert "belongs to another person" in str(report.with_problems[0].problems[0])


def test_the_import_brings_members_into_the_register_with_their_history(app, english):
    user = officer()
    report = imports.run(user, "register.csv", csv_file(*GOOD.values()))
    assert report.ok and report.imported
    assert report.count(imports.MEMBERS, "new") == 3
    kim = db.session.scalar(select(Membership).where(Membership.member_number == "APK-2019-00012"))
    assert kim.started_on == date(2019, 4, 25) and kim.status == "active"
    assert kim.candidate.birth_date == date(1968, 5, 12) and kim.candidate.sex == "male"
    assert kim.nomination.status == State.MEMBER and kim.nomination.route == Route.COUNCIL
    seit = db.session.scalar(select(Membership).where(Membership.member_number == "APK-2022-00007"))
    assert seit.region.iso_code == "KZ-79" and seit.candidate.birth_date == date(1959, 1, 28)
    # In the register, as the Secretariat searches it.
    found = services.search(user, Filters(text="APK-2019-00012")).items
    assert [m.id for m in found] == [kim.id]
    assert len(services.search(user, Filters(route=Route.COUNCIL)).items) == 2
    # Its own history event, said in every language.
    history = [e for e in kim.nomination.events]
    assert [e.action for e in history] == [pipeline.IMPORTED]
    assert history[0].data["basis"] == "Распоряжение № 12"
    for language in ("kk", "ru", "en"):
        with force_locale(language):
            said = events.describe(history[0])
            assert said.title and "%(" not in said.title and said.lines
    with force_locale("en"):
        assert "Brought in from the register" in events.describe(history[0]).title
    membership_events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "membership", AuditEvent.entity_id == kim.id)).all()
    assert [e.action for e in membership_events] == [pipeline.IMPORTED]
    assert audit.verify()[1] is None


def test_running_the_same_file_again_doubles_nothing(app):
    user = officer()
    data = (SAMPLES / "register-associations.csv").read_bytes()
    assert imports.run(user, "register-associations.csv", data).imported
    members = (SAMPLES / "register-members.csv").read_bytes()
    assert imports.run(user, "register-members.csv", members).imported
    after_first = counts()
    assert after_first[2] == 3 and after_first[3] == 3
    again = imports.run(user, "register-associations.csv", data)
    assert again.imported and again.count(imports.ASSOCIATIONS, "present") == 3
    again = imports.run(user, "register-members.csv", members)
    assert again.imported and again.count(imports.MEMBERS, "present") == 3
    assert counts() == after_first
    korean = db.session.scalar(select(Association).where(Association.bin == "950340000007"))
    kim = db.session.scalar(select(Membership).where(Membership.member_number == "APK-2019-00012"))
    assert kim.nomination.association_id == korean.id


def test_a_person_known_from_a_closed_nomination_is_taken_not_doubled(app):
    old = f.nomination(State.WITHDRAWN, region_code="KZ-71")
    person = old.candidate
    user = officer()
    row = (f"OLD-7,{person.iin},{person.surname},{person.given_name},,,,қазақ,KZ-75,council,,"
           f"2020-01-01,Распоряжение № 1")
    report = imports.run(user, "r.csv", csv_file(row))
    assert report.imported, [str(p) for r in report.rows for p in r.problems]
    member = db.session.scalar(select(Membership).where(Membership.member_number == "OLD-7"))
    assert member.candidate_id == person.id
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 1


def test_later_numbers_continue_after_the_imported_ones(app):
    from workflow.members.services import member_number

    user = officer()
    imports.run(user, "r.csv", csv_file(GOOD["kim"].replace("APK-2019-00012", "APK-2026-00040")))
    assert db.session.get(Counter, "member-number-2026").value == 40
    assert member_number(2026) == "APK-2026-00041"


def test_an_xlsx_with_both_sheets_is_imported_in_one_go(app):
    book = Workbook()
    sheet = book.active
    sheet.title = "associations"
    sheet.append(["name", "level", "kind", "region", "bin"])
    sheet.append(["Шымкентский татаро-башкирский центр", "regional", "ethno_cultural",
                  "KZ-79", None])
    members = book.create_sheet("members")
    members.append(HEADER.split(","))
    values = GOOD["seit"].split(",")
    values[1] = int(values[1])  # a spreadsheet keeps the IIN as a number
    values[10] = "Шымкентский татаро-башкирский центр"
    values[11] = date(2022, 4, 28)
    members.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    report = imports.run(officer(), "register.xlsx", buffer.getvalue())
    assert report.imported, [str(p) for r in report.rows for p in r.problems]
    member = db.session.scalar(select(Membership))
    assert member.nomination.association.name == "Шымкентский татаро-башкирский центр"


def test_a_file_that_is_not_a_table_is_an_answer(app, english):
    for name, data in (("x.xlsx", b"PK\x03\x04 broken"), ("x.pdf", b"%PDF-1.4"),
                       ("x.csv", b"a,b\n1,2\n")):
        report = imports.check(name, data)
        assert not report.ok and report.problems


def test_a_bad_association_row_is_reported(app, english):
    data = (b"name,level,kind,region,bin\n"
            b"A,regional,ethno_cultural,,\n"
            b"B,national,ethno_cultural,KZ-75,\n"
            b"C,republican,ethno_cultural,,950340000008\n"
            b"D,regional,ethno_cultural,KZ-75,\n"
            b"D,regional,ethno_cultural,KZ-75,\n")
    report = imports.check("a.csv", data)
    with force_locale("en"):
        said = {r.line: " ".join(str(p) for p in r.problems) for r in report.with_problems}
    assert "“region” is empty" in said[2]
    assert "Unknown level" in said[3]
    assert "check digit" in said[4]
    assert "same association is on line 5" in said[6]
    assert 5 not in said


def test_only_the_secretariat_imports(app):
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()
    from workflow.refusal import Refusal

    with pytest.raises(Refusal):
        imports.run(coordinator, "r.csv", csv_file(GOOD["kim"]))
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    assert imports.run(SYSTEM, "r.csv", csv_file(GOOD["kim"])).imported


def test_the_command_dry_runs_then_imports(app, runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_file(GOOD["kim"], BAD_ROWS["wrong check digit"][0]
                              .replace("APK-2019-00012", "APK-2019-00013")))
    result = runner.invoke(args=["import", "register", str(path), "--dry-run",
                                 "--language", "en"])
    assert result.exit_code == 1
    assert "members line 3 (APK-2019-00013)" in result.output
    assert "check digit" in result.output
    assert "680512301012" not in result.output
    path.write_bytes(csv_file(GOOD["kim"]))
    result = runner.invoke(args=["import", "register", str(path), "--dry-run"])
    assert result.exit_code == 0 and "dry run" in result.output
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    result = runner.invoke(args=["import", "register", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "imported",
                                                       AuditEvent.entity_type == "nomination"))
    assert event.via == "cli"


def test_the_page_checks_then_imports(app, client, auth):
    user = officer()
    auth.login(user)
    bad = csv_file(GOOD["kim"].replace("KZ-75", "KZ-99"))
    page = client.post("/register/import", data={"file": (io.BytesIO(bad), "register.csv")},
                       headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "KZ-99" in html and 'name="token"' not in html
    assert "680512301011" not in html
    page = client.post("/register/import",
                       data={"file": (io.BytesIO(csv_file(GOOD["kim"])), "register.csv")})
    html = page.get_data(as_text=True)
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    done = client.post("/register/import/run", data={"token": token})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
    again = client.post("/register/import/run", data={"token": token})  # spent
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
    assert client.post("/register/import/run", data={"token": "../../etc"}).status_code == 302


def test_the_page_is_the_secretariats(app, client, auth):
    auth.login(f.user(Role.COORDINATOR))
    assert client.get("/register/import").status_code in (403, 404)
