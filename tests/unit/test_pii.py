import pytest

from civic146 import pii

VALID_ID = "11010519491231002X"  # the standard's own example


def test_valid_id_number_passes():
    assert pii.id_number_problem(VALID_ID) is None


@pytest.mark.parametrize("value, problem", [
    ("110105194912310021", "check digit"),
    ("110105194902300028", "birth date"),
    ("1101051949123100", "17 digits"),
    ("11010519491231002x", "17 digits"),  # upper-case X only (callers upper-case input)
])
def test_invalid_id_numbers_say_why(value, problem):
    assert problem in pii.id_number_problem(value)


@pytest.mark.parametrize("phone, ok", [("13812341234", True), ("19900001111", True), ("12812341234", False),
                                       ("1381234123", False), ("138123412345", False), ("+8613812341234", False)])
def test_mobile_numbers(phone, ok):
    assert pii.is_mobile(phone) is ok


def test_masks():
    assert pii.mask_phone("13812341234") == "138****1234"
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("欧阳娜娜") == "欧***"
    assert pii.mask_id_number(VALID_ID) == "1101**********002X"


def test_scrub_text_masks_numbers_typed_into_free_text():
    text = f"我的电话13812341234，身份证{VALID_ID}，门牌号12号"
    scrubbed = pii.scrub_text(text)
    assert "13812341234" not in scrubbed and VALID_ID not in scrubbed
    assert "138****1234" in scrubbed and "1101**********002X" in scrubbed and "门牌号12号" in scrubbed


@pytest.mark.parametrize("written", ["+8613812341234", "8613812341234", "138-1234-1234", "138 1234 1234",
                                     "+86 138 1234 1234"])
def test_scrub_text_masks_phone_numbers_however_they_are_written(written):
    assert pii.scrub_text(f"电话{written}。") == "电话138****1234。"


def test_scrub_text_masks_the_given_names():
    assert pii.scrub_text("联系人欧阳娜娜或张三", ("张三", "欧阳娜娜", "")) == "联系人欧***或张*"
