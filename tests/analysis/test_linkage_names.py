"""Name folding: one Latin key for a name whatever the script, accents, order or particles."""

from __future__ import annotations

import pytest

from amparo.analysis.linkage.names import fold, name_keys


@pytest.mark.parametrize(
    "written, folded",
    [
        ("José María Pérez", "jose maria perez"),
        ("François Lefèvre", "francois lefevre"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Иван Петров", "ivan petrov"),
        ("O'Brien-Núñez", "obrien nunez"),
        ("María de la Cruz", "maria cruz"),
        ("De La", "de la"),
        ("", ""),
    ],
)
def test_names_fold_to_plain_latin_words(written, folded):
    assert fold(written) == folded


@pytest.mark.parametrize(
    "one, other",
    [
        ("محمد علي", "Mohamed Ali"),
        ("Muhammad Aly", "Mohamed Ali"),
        ("فاطمة الزهراء", "Fatima al-Zahra"),
        ("Юлия Тимошенко", "Yulia Tymoshenko"),
        ("Дмитрий Кузнецов", "Dmitry Kuznetsov"),
        ("Petrov, Ivan", "Иван Петров"),
        ("Pérez José María", "Jose Maria Perez"),
    ],
)
def test_spellings_of_one_name_share_a_sorted_skeleton(one, other):
    assert name_keys(one).sorted_skeleton == name_keys(other).sorted_skeleton


def test_a_name_written_as_one_word_or_two_shares_a_joined_skeleton():
    assert name_keys("عبد الله").joined_skeleton == name_keys("Abdallah").joined_skeleton


@pytest.mark.parametrize(
    "one, other", [("Maria Gomez", "Maria Lopez"), ("Ivan Petrov", "Ivan Sokolov")]
)
def test_different_family_names_keep_different_keys(one, other):
    assert name_keys(one).sorted_skeleton != name_keys(other).sorted_skeleton
    assert name_keys(one).last_key != name_keys(other).last_key


def test_word_order_does_not_change_the_sorted_name_or_initials():
    assert name_keys("Gomez Maria").sorted_name == name_keys("Maria Gomez").sorted_name
    assert name_keys("Gomez Maria").initials == name_keys("Maria Gomez").initials
