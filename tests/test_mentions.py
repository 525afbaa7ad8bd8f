"""The mention layer (fast tier): each value paired with what it measures, as the book prints it."""

from __future__ import annotations

import pytest

from qa.genre import SHARED_GENRE
from qa.mentions import Mention, Sentence, quantity, read_sentences, same_value, unit_of
from qa.names import TaggedName, names_in

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index


def _tagged(text: str) -> tuple[TaggedName, ...]:
    return names_in([text])[0]


def _mentions(text: str) -> list:
    return [m for sentence in read_sentences(text, SHARED_GENRE) for m in sentence.mentions]


def test_a_level_and_its_growth_are_told_apart():
    sheep, growth = [m for m in _mentions("羊存栏15.7万只，同比增长7.53%。") if m.kind == "number"]
    assert (sheep.text, sheep.unit, sheep.attribute, sheep.change) == ("15.7万只", "万只", "羊存栏", False)
    assert (growth.text, growth.unit, growth.change, growth.subject) == ("7.53%", "%", True, "羊存栏")


def test_the_attribute_keeps_the_words_that_qualify_it():
    [area] = [m for m in _mentions("全区完成农机化作业总面积76.44万亩。") if m.kind == "number"]
    assert area.attribute.endswith("农机化作业总面积")


def test_approximations_ranges_and_rates_are_part_of_the_figure():
    texts = [m.text for m in _mentions("进良种奶牛2200多头，办理5400余件，减少30%以上，植树3—5株，水价0.15元/立方米。")
             if m.kind == "number"]
    assert texts == ["2200多头", "5400余件", "30%以上", "3—5株", "0.15元/立方米"]
    assert unit_of("30%以上") == "%" and unit_of("0.15元/立方米") == "元/立方米"


def test_years_and_wording_are_not_figures_and_an_ordinal_keeps_its_di():
    assert [m.text for m in _mentions("2019年第4批，开展一次检查，共3次。") if m.kind == "number"] == ["第4批", "3次"]
    [ordinal] = [m for m in _mentions("举办第五届集体婚礼。") if m.kind == "number"]
    assert (ordinal.text, ordinal.unit, quantity(ordinal.text)) == ("第五届", "届", None)  # a rank, not an amount


def test_a_scale_word_apart_from_its_unit_stays_with_the_figure():
    figures = [m for m in _mentions("发放宣传单3.7万余份，植树2万株，修复地貌2万多平方米，来访263件次。") if m.kind == "number"]
    assert [(m.text, m.unit) for m in figures] == [("3.7万余份", "万份"), ("2万株", "万株"), ("2万多平方米", "万平方米"),
                                                   ("263件次", "件次")]
    assert quantity("3.7万余份") == (37000.0, "份")


def test_dates_keep_the_part_of_the_month_and_the_deadline():
    assert [m.text for m in _mentions("2018年12月下旬开始，2020年底前完成。") if m.kind == "date"] == \
        ["2018年12月下旬", "2020年底前"]


def test_office_holders_in_a_leaders_list_carry_their_office():
    people = [m for m in _mentions("区长\n周益民\n副区长\n李发财\u3000张生学\n") if m.kind == "person"]
    assert [(m.text, m.attribute) for m in people] == [("周益民", "区长"), ("李发财", "副区长"), ("张生学", "副区长")]


def test_a_name_after_its_title_in_running_text():
    [person] = [m for m in _mentions("出席会议的有区政协主席叶先春。") if m.kind == "person"]
    assert person.text == "叶先春" and "主席" in person.attribute


def test_quoted_names_places_and_organisations():
    found = {(m.kind, m.text) for m in _mentions("宁远堡镇实施“双培”工程，贯彻《中华人民共和国统计法》，金川区人民检察院参加。")}
    assert {("place", "宁远堡镇"), ("name", "“双培”工程"), ("name", "《中华人民共和国统计法》")} <= found
    assert any(kind == "organisation" and text.endswith("人民检察院") for kind, text in found)
    # a coined term quoted alone is named without its quotes, as an answer would write it
    assert [m.text for m in _mentions("双湾镇举办“双湾吃头节”。") if m.kind == "name"] == ["双湾吃头节"]


def test_offsets_point_into_the_text_and_survive_json():
    text = "第一句没有数字。\n羊存栏15.7万只，同比增长7.53%。"
    for sentence in read_sentences(text, SHARED_GENRE):
        assert Sentence.model_validate_json(sentence.model_dump_json()) == sentence
        for mention in sentence.mentions:
            assert text[mention.start : mention.end].replace(" ", "") == mention.text or mention.kind == "date"


def test_an_organisation_or_place_begins_after_the_verb_or_preposition_before_it():
    found = {m.text for m in _mentions("完成三角城村旧宅基地复垦。解释工作由中共金昌市金川区委办公室负责。组建成立民用煤巡查大队。")
             if m.kind in ("organisation", "place")}
    assert {"三角城村", "中共金昌市金川区委办公室"} <= found
    assert "民用煤巡查大队" in found  # the verb belongs to the name: too little would be left without it
    assert {m.text for m in _mentions("区发展和改革局牵头。") if m.kind == "organisation"} == {"区发展和改革局"}
    # a localiser inside the name (昌丰里) does not end it; the preposition before it does
    assert {m.text for m in _mentions("公租房摇号分配仪式在昌丰里社区举行。") if m.kind == "place"} == {"昌丰里社区"}
    # a numeral is no part of a name's head: 第六条 opens an article, not the park
    assert {m.text for m in _mentions("第六条甘肃金川金水湖国家湿地公园由管理处负责。") if m.kind == "place"} == \
        {"甘肃金川金水湖国家湿地公园"}
    # a character no name starts with takes the rest of its verb with it: not 施金昌市…
    assert {m.text for m in _mentions("实施金昌市义帆达物流有限公司冷链项目。") if m.kind == "organisation"} == \
        {"金昌市义帆达物流有限公司"}


def test_short_names_after_their_unit_and_names_that_run_on_into_their_body():
    def organisations(text: str) -> list[str]:
        return [m.text for m in _mentions(text) if m.kind == "organisation"]

    assert organisations("区委宣传部、区委编办负责，区残联配合，区监委查处。") == ["区委宣传部", "区委编办", "区残联", "区监委"]
    assert organisations("由区绿化委员会办公室牵头。") == ["区绿化委员会办公室"]
    assert organisations("由市生态环境局金川分局负责。") == ["市生态环境局金川分局"]  # not also 金川分局 alone
    assert organisations("区教育局和区财政局联合印发。") == ["区教育局", "区财政局"]  # never across 和, nor 局|联合
    assert organisations("区农业农村局局长出席。") == ["区农业农村局"]  # a name does not run on into a title


def test_names_the_tagger_finds_are_people_too():
    """A name followed by a verb, an honoured person, a row of an awards table: no title right before
    and no list around them, so only the index's tagger finds them."""
    text = ("市委主题教育第二巡回指导组组长刘凤出席会议并讲话。"
            "推荐的优秀退役军人代表杨荣被评为“全国模范退役军人”。健全康复救助制度，建立健全工作机制。")
    people = {m.text: m.attribute for s in read_sentences(text, SHARED_GENRE, _tagged(text)) for m in s.mentions
              if m.kind == "person"}
    assert set(people) == {"刘凤", "杨荣"}  # not 康复 or 建立健全, which jieba's POS took for names
    assert "组长" in people["刘凤"] and "代表" in people["杨荣"]
    assert not [m for m in _mentions(text) if m.kind == "person" and m.text == "杨荣"]  # without the tagger: none


def test_the_tagger_draws_a_names_edges_but_leaves_it_its_parent_body_and_unit():
    def names(text: str) -> list[str]:
        return [m.text for s in read_sentences(text, SHARED_GENRE, _tagged(text)) for m in s.mentions
                if m.kind in ("organisation", "place")]

    assert names("重新组建金川区司法局。") == ["金川区司法局"]  # the words alone give 重新组建金川区司法局
    assert names("会议决定调整区委办公室职责。") == ["区委办公室"]
    assert names("依法审批金昌金海彧蔬菜产销农民专业合作社。") == ["金昌金海彧蔬菜产销农民专业合作社"]
    assert names("由市生态环境局金川分局负责。") == ["市生态环境局金川分局"]  # the tagger would cut 市生态环境局
    assert names("区市场监管局牵头。") == ["区市场监管局"]  # and the unit 区
    assert names("各镇人民政府负责。") == ["镇人民政府"]  # a name never starts with 各, whoever drew it
    assert names("金川区政协主席叶先春") == ["金川区政协"]  # no ending reads it; the tagger does


def test_an_awards_row_gives_the_name_before_the_sex():
    """The tagger glues a name to its row ("吕春燕女金川区教育局"); the name is what comes before 男/女."""
    text = "三等功2019年3月甘肃省公安厅吕春燕女金川区教育局\n2018年度金昌市社会治安综合治理工作"
    assert "吕春燕女金川区教育局" in [name.text for name in _tagged(text)]
    people = [m.text for s in read_sentences(text, SHARED_GENRE, _tagged(text)) for m in s.mentions if m.kind == "person"]
    assert people == ["吕春燕"]


def test_a_figure_is_one_quantity_however_it_is_printed():
    """cn2an reads Chinese numerals and 万/亿: 7400头 and 0.74万头 state one figure, 五次 and 5次 too;
    a range states none, and a value printed twice with another scale is still a repeat."""
    assert quantity("0.74万头") == quantity("7400头") == (7400.0, "头")
    assert quantity("五次") == quantity("5次") == (5.0, "次")
    assert quantity("2200多头") == (2200.0, "头") and quantity("3—5株") is None
    assert quantity("0.91万头") != quantity("0.74万头")
    assert same_value(Mention(kind="number", text="15.7万只", start=0, end=6), Mention(kind="number", text="157000只", start=9, end=16))
    assert not same_value(Mention(kind="number", text="15.7万只", start=0, end=6), Mention(kind="number", text="7.53%", start=9, end=14))


def test_a_directory_line_gives_the_name_before_its_office():
    """"苏子喜区农业农村局局长": the name is the shortest start that leaves an office beginning with its
    administrative unit (not 苏子, which leaves 喜区…); a line that is not wholly name-then-office gives none."""
    text = "杨帆区水务局局长\n苏子喜区农业农村局局长\n区委副书记、区长周益民主持会议。\n金川区区长\n"
    people = [(m.text, m.attribute) for s in read_sentences(text, SHARED_GENRE) for m in s.mentions if m.kind == "person"]
    assert ("杨帆", "区水务局局长") in people and ("苏子喜", "区农业农村局局长") in people
    assert not any(name in ("苏子", "金川") for name, _ in people)


def test_a_statistics_table_row_prints_its_unit_before_its_value():
    text = "指标单位2019年比上年±%\n羊年末存栏万只12.2 72.88\n红砖万块5080 8.09"
    figures = [(m.text, m.unit, m.attribute, m.change) for m in _mentions(text) if m.kind == "number"]
    assert figures == [("12.2", "万只", "羊年末存栏", False), ("72.88", "%", "羊年末存栏", True),
                       ("5080", "万块", "红砖", False), ("8.09", "%", "红砖", True)]
    assert [m.text for m in _mentions("大牲畜年末存栏万头2.32 60.45") if m.kind == "number"] == ["2.32", "60.45"]  # no bare 万头
