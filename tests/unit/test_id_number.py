import numpy as np
import pytest

from healthlake.standards import id_number


def test_check_character_of_the_standards_worked_example():
    # GB 11643-1999's own example: 11010519491231002X
    assert id_number.check_char("11010519491231002") == "X"
    assert id_number.is_valid("11010519491231002X")
    assert id_number.is_valid("11010519491231002x")  # lowercase x is the same check character


@pytest.mark.parametrize(
    "bad", ["11010519491231002Y", "110105194912310021", "1101051949123100", "", "ABCDEFGHIJKLMNOPQR"]
)
def test_invalid_numbers_are_rejected(bad):
    assert not id_number.is_valid(bad)


def test_fifteen_digit_numbers_are_upgraded():
    assert id_number.upgrade_15_to_18("110105491231002") == "11010519491231002X"
    with pytest.raises(ValueError):
        id_number.upgrade_15_to_18("11010549123100")


def test_vectorised_check_characters_equal_the_scalar_rule():
    rng = np.random.default_rng(1)
    first17 = np.array(["".join(map(str, rng.integers(0, 10, 17))) for _ in range(500)])
    vectorised = id_number.check_chars_vectorised(first17)
    assert list(vectorised) == [id_number.check_char(f) for f in first17]
