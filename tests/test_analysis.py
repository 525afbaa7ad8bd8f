"""Question analysis (fast tier): every named rule of qa/data/question_rules.json, one case each."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from qa.analysis import analyse, date_precision_pattern, question_rules, sentence_requirements

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index

REGION = frozenset({"金川区", "金川", "金昌市金川区"})

# rule name → (question, what the analysis must say)
ANSWER_TYPES = {
    "date": ("区七届党代会第四次会议是哪天召开的？", "date"),
    "person": ("金川区政协主席是谁？", "person"),
    "name": ("金川区境内的省级自然保护区叫什么名字？", "name"),
    "list": ("金川区有哪些国家级非遗项目？", "list"),
    "number": ("2019年金川区羊存栏多少只？", "number"),
    "yesno": ("农村自来水可以赊账吗？", "yesno"),
    "place": ("区政务服务中心在哪里？", "place"),
    "organisation": ("哪家公司承办了这次展会？", "organisation"),
}


def test_every_rule_in_the_data_file_has_a_case_here():
    data = json.loads(resources.files("qa").joinpath("data", "question_rules.json").read_text(encoding="utf-8"))
    assert {row["name"] for row in data["answer_types"]} == set(ANSWER_TYPES)
    assert {row["name"] for row in data["required_units"]} == set(REQUIRED_UNITS)
    assert {row["name"] for row in data["required_details"]} == set(REQUIRED_DETAILS)
    assert {row["name"] for row in data["date_precision"]} == {"day", "month"}
    singles = {key for key, value in data.items() if isinstance(value, str) and not key.startswith("_")}
    assert singles == {"entity_noun", "asks_money", "asks_share", "asks_change", "asks_ordinal", "asked_count_unit", "per_measure",
                       "part_of_whole", "people_list", "sub_scope", "question_words"}


@pytest.mark.parametrize("rule", sorted(ANSWER_TYPES))
def test_answer_type_rules(rule):
    question, expected = ANSWER_TYPES[rule]
    assert analyse(question, REGION).answer_type == expected


def test_a_question_with_no_interrogative_is_a_description():
    assert analyse("农村饮水安全工程滞纳金的计算办法", REGION).answer_type == "description"


REQUIRED_UNITS = {
    "phone": ("区政务服务热线电话是多少？", "拨打0935-8212345", "请拨打"),
    "money": ("农村自来水每立方米多少钱？", "水价2.5元/立方米", "水价上调"),
    "temperature": ("金川区年平均气温多少度？", "年平均气温9.5℃", "气温偏高"),
    "weight": ("小麦亩产多少公斤？", "亩产580公斤", "亩产提高"),
    "area_mu": ("全区种了多少亩玉米？", "种植玉米12.08万亩", "玉米长势良好"),
    "people": ("2019年新增就业多少人？", "新增就业5600人", "就业形势稳定"),
    "age": ("多大年龄可以领取养老金？", "年满60周岁", "养老金按月发放"),
}


REQUIRED_DETAILS = {
    "hours": ("政务大厅周末上班吗？", "周六、周日正常办公", "政务大厅设窗口20个"),
    "address": ("区法院的办公地址在哪？", "位于北京路28号", "区法院审结案件"),
}


@pytest.mark.parametrize("rule", sorted({**REQUIRED_UNITS, **REQUIRED_DETAILS}))
def test_required_unit_and_detail_rules_say_what_an_answering_sentence_must_state(rule):
    question, answering, not_answering = {**REQUIRED_UNITS, **REQUIRED_DETAILS}[rule]
    analysis = analyse(question, REGION)
    assert rule in analysis.requirements
    needed = sentence_requirements(analysis)
    assert all(p.search(answering) for p in needed) and not all(p.search(not_answering) for p in needed)


def test_plan_rule_needs_a_sentence_stating_a_target():
    analysis = analyse("2020年地区生产总值的预期目标是多少？", REGION)
    assert "plan" in analysis.requirements
    [pattern] = sentence_requirements(analysis)
    assert pattern.search("预期增长6%左右") and not pattern.search("全年实现生产总值262.34亿元")


def test_per_measure_rule_needs_a_rate_in_that_measure():
    analysis = analyse("住房租金每平方米每月多少钱？", REGION)
    assert analysis.per_measure == ("平方米", "月") and analysis.unit == "元"
    needed = sentence_requirements(analysis)
    assert any(p.search("租金2元/平方米") for p in needed)


@pytest.mark.parametrize("question, precision, sentence", [
    ("区党代会是哪天开幕的？", "day", "1月11日开幕"),
    ("金川区是几月启动创建工作的？", "month", "3月启动"),
])
def test_date_precision_rules(question, precision, sentence):
    analysis = analyse(question, REGION)
    assert analysis.date_precision == precision and date_precision_pattern(analysis).search(sentence)


def test_money_share_change_and_count_unit_rules():
    assert analyse("独生子女奖励金是多少钱？", REGION).unit == "元"
    assert analyse("城镇化率是百分之多少？", REGION).unit == "%"
    assert analyse("地区生产总值比上年增长了多少？", REGION).asks_change
    assert not analyse("地区生产总值是多少？", REGION).asks_change
    assert analyse("薰衣草之约集体婚礼办到第几届了？", REGION).asks_ordinal
    assert not analyse("集体婚礼一共办了几届？", REGION).asks_ordinal
    assert analyse("2019年羊存栏多少只？", REGION).unit == "只"


def test_the_attribute_is_the_question_without_question_words_years_region_or_unit():
    assert analyse("2019年金川区羊存栏多少只？", REGION).attribute == "羊存栏"
    assert analyse("金川区总面积多大？", REGION).attribute == "总面积"


def test_scope_is_a_town_or_village_the_question_names_and_the_region_otherwise():
    assert analyse("宁远堡镇有几个行政村？", REGION, places=("宁远堡镇",)).scope == "宁远堡镇"
    assert analyse("金川区有几个村？", REGION, places=("金川区",)).scope == ""


def test_part_of_whole_entity_noun_and_people_list_rules():
    assert analyse("法律援助案件里，刑事案件有多少件？", REGION).part == "刑事案件"
    assert analyse("哪个社区获评全国示范社区？", REGION).entity_noun == "社区"
    assert analyse("金川区哪个蔬菜基地入选了“菜篮子”基地？", REGION).entity_noun == "基地"  # the head noun, past its modifiers
    # 部门, 单位, 企业 name the class of the answer, not how its name ends (区民政局, 金川集团公司)
    assert analyse("新设社区的选举工作由哪个部门指导？", REGION).entity_noun == ""
    assert analyse("区政府领导有哪几位？", REGION).asks_people


@pytest.mark.parametrize("question, answer_type", [
    ("金川区哪个蔬菜基地入选了第一批“菜篮子”生产基地？", "organisation"),
    ("落实残疾儿童康复救助制度的牵头部门是哪个？", "organisation"),
    ("驻在金川区的世界500强企业是哪家？", "organisation"),
    ("全区规模最大的蔬菜批发企业是哪一家？", "organisation"),
    ("全区海拔最高的村子在哪儿？", "place"),
    ("新调来的区卫健局局长叫什么名字？", "person"),  # an office's holder, by name
    ("金川区科学技术局加挂了什么牌子？", "name"),
    ("金川区第一小学2019年被评为什么？", "name"),
    ("双湾镇的潘亮获得了什么全国奖项？", "name"),
])
def test_entity_questions_are_read_past_their_modifiers(question, answer_type):
    assert analyse(question, REGION).answer_type == answer_type


def test_a_month_named_in_the_question_is_kept_for_tenure():
    assert analyse("2019年2月任命的区长是谁？", REGION).month == "2019年2月"


def test_rules_compile_once():
    assert question_rules() is question_rules()
