from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.iin import (
    InvalidIIN,
    check_digit,
    is_valid_iin,
    make_iin,
    mask,
    parse_iin,
    redact,
    validate_bin,
)


def test_design_examples():
    assert parse_iin("850315400015").birth_date == date(1985, 3, 15)
    assert parse_iin("850315400015").sex == "female"
    info = parse_iin("900101300811")  # valid only through the second weighting pass
    assert info.birth_date == date(1990, 1, 1)
    assert info.sex == "male"
    with pytest.raises(InvalidIIN) as error:
        parse_iin("123456789012")
    assert error.value.reason in {"checksum", "century", "date"}


def test_second_pass_is_needed_for_900101300811():
    digits = [int(c) for c in "9001013008"] + [1]
    assert sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10
    assert check_digit("90010130081") == 1


@pytest.mark.parametrize(("value", "reason"), [
    ("85031540001", "format"),
    ("8503154000155", "format"),
    ("85031540001a", "format"),
    ("850315000015", "century"),  # century digit 0
    ("850315700015", "century"),  # century digit 7
    ("851315400015", "date"),  # month 13
    ("850230400015", "date"),  # 30 February
    ("850315400016", "checksum"),
])
def test_refusals_say_why(value, reason):
    with pytest.raises(InvalidIIN) as error:
        parse_iin(value)
    assert error.value.reason == reason


def test_spaces_and_dashes_are_ignored():
    assert is_valid_iin("850315 400015")
    assert is_valid_iin("850315-400015")


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from(["male", "female"]),
    serial=st.integers(min_value=0, max_value=9999),
)
def test_generated_numbers_round_trip(born, sex, serial):
    iin = make_iin(born, sex, serial)
    if iin is None:  # no check digit exists for this body: every ending must be refused
        body = f"{born:%y%m%d}" + str({1900: 3, 2000: 5}[born.year // 100 * 100] + (sex == "female")) + f"{serial:04d}"
        assert not any(is_valid_iin(body + str(d)) for d in range(10))
        return
    info = parse_iin(iin)
    assert info.birth_date == born
    assert info.sex == sex


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from(["male", "female"]),
    serial=st.integers(min_value=0, max_value=9999),
    wrong=st.integers(min_value=1, max_value=9),
)
def test_any_other_check_digit_is_refused(born, sex, serial, wrong):
    iin = make_iin(born, sex, serial)
    if iin is None:
        return
    altered = iin[:11] + str((int(iin[11]) + wrong) % 10)
    assert not is_valid_iin(altered)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_parse_never_crashes_on_any_twelve_digits(value):
    try:
        info = parse_iin(value)
    except InvalidIIN:
        return
    assert info.sex in {"male", "female"}


def test_bin_uses_the_same_check_digit():
    body = "04094000012"  # September 2004, a legal entity (5th digit 4), a serial
    assert check_digit(body) == 8
    assert validate_bin(body + "8") == "040940000128"
    with pytest.raises(InvalidIIN):
        validate_bin(body + "9")


def test_mask_and_redact_keep_the_number_out():
    assert mask("850315400015") == "••••••••0015"
    assert "850315400015" not in redact("looked up 850315400015 today")
    assert redact("order 12345") == "order 12345"
