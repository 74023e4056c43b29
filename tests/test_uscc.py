"""USCC validation (GB 32100-2015), as DESIGN.md describes it."""
import pytest

from app.uscc import USCCProblem, check, check_character, make, normalise


@pytest.mark.parametrize("code", ["914403001922038216", "91110000600037341L"])
def test_worked_examples_are_valid(code):
    assert check(code).ok


def test_worked_example_sum():
    # Σ = 831, 831 mod 31 = 25, 31 − 25 = 6
    assert check_character("91440300192203821") == "6"


@pytest.mark.parametrize("code", ["91440300192203821", "9144030019220382166", ""])
def test_wrong_length_is_refused(code):
    result = check(code)
    assert result.problem is USCCProblem.length
    assert str(len(code)) in result.message


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-", "a"])
def test_wrong_alphabet_is_refused(bad):
    code = "91440300192203821" + "6"
    code = code[:5] + bad + code[6:]
    result = check(code)
    assert result.problem is USCCProblem.alphabet
    assert bad in result.message


def test_wrong_check_character_is_a_checksum_problem():
    result = check("914403001922038217")
    assert result.problem is USCCProblem.checksum
    assert "expected 6" in result.message


def test_check_value_31_becomes_zero():
    # Find a prefix whose weighted sum is a multiple of 31: the check character must be '0'.
    for n in range(10_000):
        prefix = f"91310106{n:09d}"
        if check_character(prefix) == "0":
            assert check(prefix + "0").ok
            return
    pytest.fail("no prefix with check value 31 found")


def test_normalise_tidies_spaces_and_case():
    assert normalise(" 9111 0000 6000 3734 1l ") == "91110000600037341L"


def test_make_builds_valid_codes():
    assert check(make("91310106MA1FL0000")).ok


def test_the_problem_is_worded_in_the_readers_language(app):
    from flask_babel import force_locale

    result = check("914403001922038217")  # check character 7, expected 6
    assert result.message == "check character is 7, expected 6"  # outside a request: English
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert result.message == "校验位为 7，应为 6"
