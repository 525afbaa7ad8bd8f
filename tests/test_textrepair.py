import pytest

from qa.textrepair import count_cjk, display_width, join_wrapped, normalise_for_match, repair_spaces

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index


def test_numbers_join_their_units():
    assert repair_spaces("共实现地区生产总值（GDP）262.34 亿元，增长 10.8%。") == "共实现地区生产总值（GDP）262.34亿元，增长10.8%。"


def test_spaces_inside_chinese_text_and_padded_names_go():
    assert repair_spaces("李  军") == "李军"
    assert repair_spaces(" 法 治") == "法治"
    assert repair_spaces("2019 年 12 月 甘肃省司法厅") == "2019年12月甘肃省司法厅"


def test_a_line_of_names_keeps_them_apart_with_one_ideographic_space():
    assert repair_spaces("李发财  张生学  银俊英（女）") == "李发财\u3000张生学\u3000银俊英（女）"
    assert repair_spaces("徐  峰（任至 2019 年 3 月）") == "徐峰（任至2019年3月）"  # one padded name
    assert repair_spaces("第三章  组织原则") == "第三章组织原则"  # a heading, not two names
    assert join_wrapped(["王永玲（女）\u3000石培玉", "刘洲基\u3000孙得旭"]) == "王永玲（女）\u3000石培玉\u3000刘洲基\u3000孙得旭"
    assert normalise_for_match("李发财\u3000张生学") == "李发财张生学"  # answers still match gold lists


def test_spaces_between_latin_words_and_table_numbers_stay():
    assert repair_spaces("Windows  10 系统") == "Windows 10系统"
    assert repair_spaces("2019 39903 829 10617 1591") == "2019 39903 829 10617 1591"


def test_join_wrapped_adds_no_space_in_chinese_but_keeps_latin_words_apart():
    assert join_wrapped(["北纬38°21′30″，东", "经101°34′"]) == "北纬38°21′30″，东经101°34′"
    assert join_wrapped(["the", "book"]) == "the book"


def test_width_and_cjk_counting():
    assert display_width("金川a") == 5
    assert count_cjk("金川区2019年，GDP") == 4


def test_normalise_for_match_is_nfkc_without_whitespace():
    assert normalise_for_match("２６２.３４ 亿元\n（ＧＤＰ）") == "262.34亿元(GDP)"
