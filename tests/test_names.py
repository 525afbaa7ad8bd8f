"""The name tagger (fast tier): LAC's names as offsets in the text it was given."""

from __future__ import annotations

import pytest

from qa.names import TaggedName, _names, names_in

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index


def test_people_places_and_organisations_with_their_offsets():
    text = "区长周益民在双湾镇陈家沟村调研，区委宣传部参加。"
    found = names_in([text])[0]
    assert all(text[name.start : name.end] == name.text for name in found)
    assert {(name.kind, name.text) for name in found} >= {("person", "周益民"), ("organisation", "区委宣传部")}
    assert {name.text for name in found if name.kind == "place"} & {"双湾镇", "陈家沟村", "双湾镇陈家沟村"}


def test_many_texts_keep_their_order_and_an_empty_text_has_no_names():
    texts = ["区长周益民出席。", "", "金川区第一小学", "会议。"]
    found = names_in(texts)
    assert len(found) == len(texts) and found[1] == ()
    assert [name.text for name in found[0]] == ["周益民"]


def test_a_word_the_tagger_normalised_is_found_where_it_is_printed():
    """LAC maps full-width forms to half-width; its words are then looked for after the previous one."""
    text = "ＡＢ公司周益民"
    assert _names(text, [("ab公司", "ORG"), ("周益民", "PER")]) == [TaggedName("person", 4, 7, "周益民")]
