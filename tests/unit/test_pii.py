import pytest

from civic146 import pii

VALID_ID = "11010519491231002X"  # the standard's own example


def test_valid_id_number_passes():
    assert pii.id_number_problem(VALID_ID) is None


@pytest.mark.parametrize(
    "value, problem",
    [
        ("110105194912310021", "check digit"),
        ("110105194902300028", "birth date"),
        ("1101051949123100", "17 digits"),
        ("11010519491231002x", "17 digits"),  # upper-case X only (callers upper-case input)
        ("１１０１０５１９４９１２３１００２X", "17 digits"),  # full-width digits are not stored as given
    ],
)
def test_invalid_id_numbers_say_why(value, problem):
    assert problem in pii.id_number_problem(value)


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("13812341234", True),
        ("19900001111", True),
        ("12812341234", False),
        ("1381234123", False),
        ("138123412345", False),
        ("+8613812341234", False),
        ("１３８１２３４１２３４", False),
        ("١٣٨١٢٣٤١٢٣٤", False),
    ],
)  # ASCII digits only
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


@pytest.mark.parametrize(
    "written", ["+8613812341234", "8613812341234", "138-1234-1234", "138 1234 1234", "+86 138 1234 1234"]
)
def test_scrub_text_masks_phone_numbers_however_they_are_written(written):
    assert pii.scrub_text(f"电话{written}。") == "电话138****1234。"


def test_scrub_text_masks_the_given_names():
    assert pii.scrub_text("联系人欧阳娜娜或张三", ("张三", "欧阳娜娜", "")) == "联系人欧***或张*"


# --- forms the scrub must also recognise ------------------------------------------------------------


def test_scrub_text_folds_full_width_digits_before_searching():
    scrubbed = pii.scrub_text("电话１３９８７６５４３２１，身份证１１０１０５１９４９１２３１００２Ｘ。")
    assert scrubbed == "电话139****4321，身份证1101**********002X。"


@pytest.mark.parametrize(
    "written",
    [
        "110105 19491231 002X",
        "110105-19491231-002X",
        "110105 1949 1231 002x",
        "１１０１０５－１９４９１２３１－００２Ｘ",
        "110105　19491231　002X",
    ],
)
def test_scrub_text_masks_id_numbers_written_in_groups(written):
    assert pii.scrub_text(f"身份证{written}。") == "身份证1101**********002X。"


@pytest.mark.parametrize(
    "written", ["139 8765 4321", "139-8765-4321", "1398 765 4321", "＋８６ １３９ ８７６５ ４３２１"]
)
def test_scrub_text_masks_grouped_and_full_width_mobiles(written):
    assert pii.scrub_text(f"电话{written}。") == "电话139****4321。"


def test_scrub_text_leaves_everything_else_as_typed():
    text = "２３０米道路，１２级台阶：2023-12-08，门牌号12号（Ａ栋）"
    assert pii.scrub_text(text) == text


def test_longer_digit_runs_are_not_taken_for_numbers():
    text = "订单号1381234123499，编号1101051949123100211"
    assert pii.scrub_text(text) == text


def test_scrub_text_masks_names_written_in_full_width_letters():
    assert pii.scrub_text("联系人ＬＩ　Ｗｅｉ", ("LI Wei",)) == "联系人Ｌ*****"


KEY = pii.name_key("test-secret")


def test_names_known_only_by_digest_are_masked():
    known = pii.known_by_digest(KEY, pii.name_digests(KEY, ["王建国", "李四", "欧阳娜娜"]))
    text = "王建国和欧阳娜娜吵架，李四劝架；王建军没来"
    assert pii.scrub_text(text, digests=known) == "王**和欧***吵架，李*劝架；王建军没来"


def test_a_digest_needs_the_key_that_made_it():
    other = pii.known_by_digest(pii.name_key("another-secret"), pii.name_digests(KEY, ["王建国"]))
    assert pii.scrub_text("王建国来了", digests=other) == "王建国来了"


def test_name_digests_say_nothing_but_the_digest():
    digests = pii.name_digests(KEY, ["王建国", "王建国", None, "王", "一个很长的名字呀"])
    assert digests == [pii.name_digest(KEY, "王建国")]
    assert "王建国" not in "".join(digests)
