"""Loading the controlled vocabularies, resolving values to terms, and browsing them."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from collections import Counter
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from amparo.core import vocabulary
from amparo.core.models import AuditEntry, Clearance, Role, Term, Thesaurus
from tests.factories import member

pytestmark = pytest.mark.django_db

SHIPPED = vocabulary.VOCABULARY_DIR
HURIDOCS = SHIPPED / "huridocs"
ARABIC = re.compile(r"[\u0600-\u06ff]")

# SHA-256 of the files as extracted from OpenEvSys (huridocs/README.md): fixes go into
# corrections.csv and additions.csv, never into these files.
SOURCE_HASHES = {
    "terms.csv": "c20a870aa82bd2f7d365c925370937093131257b9ac8c2901cd7f62221603881",
    "lists.csv": "371feeff317b82c797813f001ccc2fb27ecd41a5cf9b84c1a72a9b15b3307bbf",
    "fields.csv": "1e831b54bbeedd1406cb51ee1368bb10a970b57031b0010033cf527618d16d2f",
}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of `path` containing `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def drop_line(path: Path, start: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(start)]
    assert len(kept) == len(lines) - 1
    path.write_text("".join(kept), encoding="utf-8", newline="")


def append(path: Path, line: str) -> int:
    """Append a line and return its number."""
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(line + "\n")
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped vocabularies."""
    target = tmp_path / "vocabularies"
    shutil.copytree(SHIPPED, target)
    return target


@pytest.fixture
def loaded() -> vocabulary.LoadReport:
    return vocabulary.load()


# --- loading the shipped files ----------------------------------------------------------------


def test_the_huridocs_source_files_are_byte_identical_to_the_extraction() -> None:
    for name, digest in SOURCE_HASHES.items():
        assert hashlib.sha256((HURIDOCS / name).read_bytes()).hexdigest() == digest, name


def test_loading_the_shipped_files_creates_every_list_with_its_declared_terms(
    loaded: vocabulary.LoadReport,
) -> None:
    added = Counter(row["list_code"] for row in rows(HURIDOCS / "additions.csv"))
    huridocs_lists = rows(HURIDOCS / "lists.csv")
    for row in huridocs_lists:
        expected = int(row["term_count"] or 0) + added[row["list_code"]]
        assert Term.objects.filter(thesaurus__code=row["list_code"]).count() == expected
    own_lists = rows(SHIPPED / "lists.csv")
    for row in own_lists:
        expected = len(rows(SHIPPED / f"{row['code']}.csv"))
        assert Term.objects.filter(thesaurus__code=row["code"]).count() == expected
    assert Thesaurus.objects.count() == len(huridocs_lists) + len(own_lists)
    totals = loaded.totals()
    assert totals["added"] == Term.objects.count()
    assert totals["lists_added"] == Thesaurus.objects.count()
    assert totals["changed"] == totals["deactivated"] == totals["unchanged"] == 0


def test_the_empty_huridocs_placeholder_lists_are_loaded_as_empty_thesauri(
    loaded: vocabulary.LoadReport,
) -> None:
    for code in ("61", "62", "63", "64", "65", "66", "69"):
        assert not Thesaurus.objects.get(code=code).terms.exists()


def test_terms_keep_the_huridocs_vocab_number_for_exchange(loaded: vocabulary.LoadReport) -> None:
    death_threat = vocabulary.term("04", "020103020000")
    assert death_threat.source_code == "02010302000004"
    assert death_threat.source == vocabulary.SOURCE_HURIDOCS_ESF
    ours = vocabulary.term("hrd_violations", "threat_death")
    assert ours.source_code == death_threat.source_code
    assert ours.source == vocabulary.SOURCE_AMPARO
    assert vocabulary.term("hrd_violations", "slapp").source_code == ""


def test_depth_and_parent_follow_the_tree_of_each_list(loaded: vocabulary.LoadReport) -> None:
    kenya = vocabulary.term("15", "010135000000")
    assert (kenya.depth, kenya.parent and kenya.parent.code) == (3, "010100000000")
    detention = vocabulary.term("hrd_violations", "nhri_access_detention")
    assert detention.depth == 2
    assert detention.parent == vocabulary.term("hrd_violations", "nhri_obstruction")
    assert vocabulary.term("defender_types", "journalist").parent is None


def test_a_second_load_adds_and_changes_nothing(loaded: vocabulary.LoadReport) -> None:
    totals = vocabulary.load().totals()
    assert totals == {
        "lists_added": 0,
        "lists_changed": 0,
        "added": 0,
        "changed": 0,
        "deactivated": 0,
        "unchanged": Term.objects.count(),
    }


def test_a_full_load_writes_in_bulk(django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_max_num_queries(200):
        vocabulary.load()


# --- changes between loads --------------------------------------------------------------------


def report_for(report: vocabulary.LoadReport, code: str) -> vocabulary.ListReport:
    return next(item for item in report.lists if item.code == code)


def test_a_changed_label_counts_as_changed(copy: Path) -> None:
    vocabulary.load(copy)
    replace(copy / "gender.csv", "Non-binary person", "Non-binary")
    gender = report_for(vocabulary.load(copy), "gender")
    assert (gender.added, gender.changed, gender.deactivated, gender.unchanged) == (0, 1, 0, 8)
    assert vocabulary.term("gender", "non_binary").label_en == "Non-binary"


def test_a_term_removed_from_its_file_is_deactivated_not_deleted(copy: Path) -> None:
    vocabulary.load(copy)
    original = (copy / "age_groups.csv").read_text(encoding="utf-8")
    drop_line(copy / "age_groups.csv", "65_plus,")

    assert report_for(vocabulary.load(copy), "age_groups").deactivated == 1
    assert vocabulary.term("age_groups", "65_plus").active is False
    assert report_for(vocabulary.load(copy), "age_groups").deactivated == 0  # already inactive

    (copy / "age_groups.csv").write_text(original, encoding="utf-8")
    back = report_for(vocabulary.load(copy), "age_groups")
    assert (back.changed, back.deactivated) == (1, 0)
    assert vocabulary.term("age_groups", "65_plus").active is True


def test_a_new_term_is_added_under_its_parent(copy: Path) -> None:
    vocabulary.load(copy)
    append(
        copy / "hrd_violations.csv",
        "threat_sms,threat,Threat by text message,Menace par SMS,Amenaza por mensaje de texto,"
        "تهديد عبر رسالة نصية,04:020103010000",
    )
    violations = report_for(vocabulary.load(copy), "hrd_violations")
    assert (violations.added, violations.changed) == (1, 0)
    sms = vocabulary.term("hrd_violations", "threat_sms")
    assert (sms.parent, sms.depth) == (vocabulary.term("hrd_violations", "threat"), 1)


def test_a_dry_run_reports_the_changes_and_writes_nothing() -> None:
    report = vocabulary.load(dry_run=True)
    assert report.dry_run
    assert report.totals()["added"] > 4000
    assert not Thesaurus.objects.exists()
    assert not AuditEntry.objects.exists()


def test_each_load_records_one_audit_entry_with_its_counts(loaded: vocabulary.LoadReport) -> None:
    vocabulary.load()
    first, second = AuditEntry.objects.filter(action="vocabulary.load").order_by("id")
    assert first.actor is None
    assert first.changes["totals"]["added"] == Term.objects.count()
    assert first.changes["lists"]["15"]["added"] == 287
    assert second.changes["totals"]["added"] == second.changes["totals"]["changed"] == 0
    assert second.changes["lists"] == {}


# --- malformed files --------------------------------------------------------------------------

Breakage = Callable[[Path], tuple[str, int, str]]


def missing_column(root: Path) -> tuple[str, int, str]:
    replace(root / "defender_types.csv", "label_ar", "arabic")
    return "defender_types.csv", 1, "missing required column(s): label_ar"


def duplicate_code(root: Path) -> tuple[str, int, str]:
    line = append(root / "defender_types.csv", "lawyer,,Barrister,Avocat,Abogado,محامٍ,")
    first = line_of(root / "defender_types.csv", "lawyer,,Lawyer")
    return "defender_types.csv", line, f"duplicate code lawyer (first on line {first}"


def unknown_parent(root: Path) -> tuple[str, int, str]:
    path = root / "hrd_violations.csv"
    replace(path, "exile,forced_displacement,", "exile,forced_exit,")
    return "hrd_violations.csv", line_of(path, "exile,forced_exit,"), "unknown parent forced_exit"


def parent_cycle(root: Path) -> tuple[str, int, str]:
    replace(root / "gender.csv", "woman,,Woman", "woman,trans_woman,Woman")
    return "gender.csv", 2, "parent cycle: woman → trans_woman → woman"


def empty_english_label(root: Path) -> tuple[str, int, str]:
    replace(root / "age_groups.csv", "under_18,,Child (under 18),", "under_18,,,")
    return "age_groups.csv", 2, "empty English label"


def unknown_huridocs_equivalent(root: Path) -> tuple[str, int, str]:
    path = root / "hrd_violations.csv"
    replace(
        path,
        "Death threat,Menace de mort,Amenaza de muerte,تهديد بالقتل,04:020103020000",
        "Death threat,Menace de mort,Amenaza de muerte,تهديد بالقتل,04:020103020099",
    )
    return "hrd_violations.csv", 3, "HURIDOCS list 04 has no such term"


def malformed_huridocs_equivalent(root: Path) -> tuple[str, int, str]:
    replace(root / "gender.csv", "39:990000000000", "sex/unknown")
    line = line_of(root / "gender.csv", "sex/unknown")
    return "gender.csv", line, "must be a list code and a term code"


def term_of_an_undeclared_list(root: Path) -> tuple[str, int, str]:
    line = append(
        root / "huridocs" / "terms.csv",
        "77,nothing,010000000000,,0,A,B,C,د,A,A,A,A,A,01000000000077,1\r",
    )
    return "huridocs/terms.csv", line, "list 77 is not declared in huridocs/lists.csv"


def declared_count_differs(root: Path) -> tuple[str, int, str]:
    path = root / "huridocs" / "terms.csv"
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(line for line in lines if b"39,sex,980000000000" not in line))
    line = line_of(root / "huridocs" / "lists.csv", "39,sex,")
    return "huridocs/lists.csv", line, "list 39 declares 4 terms but huridocs/terms.csv has 3"


def stale_correction(root: Path) -> tuple[str, int, str]:
    path = root / "huridocs" / "corrections.csv"
    replace(path, "41,020000000000,label_en,Unlikely,", "41,020000000000,label_en,Improbable,")
    return "huridocs/corrections.csv", line_of(path, ",Improbable,"), "the source changed"


def not_utf8(root: Path) -> tuple[str, int, str]:
    path = root / "gender.csv"
    line = line_of(path, "Préfère")
    path.write_bytes(path.read_bytes().replace("Préfère".encode(), "Préfère".encode("latin-1")))
    return "gender.csv", line, "not valid UTF-8"


def mojibake(root: Path) -> tuple[str, int, str]:
    replace(root / "gender.csv", "Préfère", "PrÃ©fÃ¨re")
    return "gender.csv", line_of(root / "gender.csv", "PrÃ©fÃ¨re"), "mojibake"


def wrong_field_count(root: Path) -> tuple[str, int, str]:
    replace(root / "age_groups.csv", "30_49,,", "30_49,,,")
    return "age_groups.csv", 4, "8 fields where the header has 7"


def undeclared_file(root: Path) -> tuple[str, int, str]:
    (root / "notes.csv").write_text("code\n", encoding="utf-8")
    return "notes.csv", 0, "not declared in lists.csv"


def declared_list_without_file(root: Path) -> tuple[str, int, str]:
    append(root / "lists.csv", "regions,regions,Regions,Régions,Regiones,المناطق,")
    return "regions.csv", 0, "file not found"


def unknown_column(root: Path) -> tuple[str, int, str]:
    replace(root / "gender.csv", "huridocs_equivalent", "huridocs_equivalant")
    return "gender.csv", 1, "unknown column(s): huridocs_equivalant"


@pytest.mark.parametrize(
    "breakage",
    [
        missing_column,
        duplicate_code,
        unknown_parent,
        parent_cycle,
        empty_english_label,
        unknown_huridocs_equivalent,
        malformed_huridocs_equivalent,
        term_of_an_undeclared_list,
        declared_count_differs,
        stale_correction,
        not_utf8,
        mojibake,
        wrong_field_count,
        undeclared_file,
        declared_list_without_file,
        unknown_column,
    ],
)
def test_a_malformed_file_is_reported_with_file_line_and_reason_and_nothing_is_loaded(
    copy: Path, breakage: Breakage
) -> None:
    file, line, reason = breakage(copy)
    with pytest.raises(vocabulary.VocabularyError) as raised:
        vocabulary.load(copy)
    found = [(p.file, p.line, p.reason) for p in raised.value.problems]
    assert any(f == file and n == line and reason in r for f, n, r in found), found
    assert not Thesaurus.objects.exists()
    assert not Term.objects.exists()
    assert not AuditEntry.objects.exists()


def test_every_problem_is_reported_not_only_the_first(copy: Path) -> None:
    for breakage in (duplicate_code, parent_cycle, empty_english_label, stale_correction):
        breakage(copy)
    with pytest.raises(vocabulary.VocabularyError) as raised:
        vocabulary.load(copy)
    files = {problem.file for problem in raised.value.problems}
    assert files == {
        "defender_types.csv",
        "gender.csv",
        "age_groups.csv",
        "huridocs/corrections.csv",
    }
    assert "age_groups.csv, line 2: empty English label (label_en)" in str(raised.value)


def test_a_malformed_file_leaves_the_loaded_vocabularies_untouched(copy: Path) -> None:
    vocabulary.load(copy)
    replace(copy / "gender.csv", "Non-binary person", "Non-binary")  # valid on its own
    empty_english_label(copy)
    with pytest.raises(vocabulary.VocabularyError):
        vocabulary.load(copy)
    assert vocabulary.term("gender", "non_binary").label_en == "Non-binary person"
    assert AuditEntry.objects.filter(action="vocabulary.load").count() == 1


def test_a_path_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(vocabulary.VocabularyError, match="not a directory"):
        vocabulary.load(tmp_path / "missing")


# --- corrections of the HURIDOCS source -------------------------------------------------------


def test_the_swapped_english_labels_of_list_41_are_corrected(loaded: vocabulary.LoadReport) -> None:
    likely, unlikely = vocabulary.term("41", "020000000000"), vocabulary.term("41", "040000000000")
    assert (likely.label_en, likely.label_fr, likely.label_ar) == ("Likely", "Probable", "وارد")
    assert (unlikely.label_en, unlikely.label_fr, unlikely.label_ar) == (
        "Unlikely",
        "Improbable",
        "غير وارد",
    )


def test_the_swapped_spanish_labels_of_list_43_are_corrected(loaded: vocabulary.LoadReport) -> None:
    assert vocabulary.term("43", "010000000000").label_es == "Activo"
    assert vocabulary.term("43", "030000000000").label_es == "Inactivo"


def test_the_countries_missing_from_list_15_are_added_under_their_regions(
    loaded: vocabulary.LoadReport,
) -> None:
    for row in rows(HURIDOCS / "additions.csv"):
        added = vocabulary.term(row["list_code"], row["term_code"])
        assert added.parent == vocabulary.term("15", row["parent_code"])
        assert added.depth == 3
        assert added.source_code == row["term_code"] + "15"
        assert all(added.label(language) for language in vocabulary.LANGUAGES)
    south_sudan = vocabulary.term("15", "010368000000")
    assert (south_sudan.label_en, south_sudan.label_ar) == ("South Sudan", "جنوب السودان")
    sudan = vocabulary.term("15", "010358000000")
    assert sudan.position < south_sudan.position < vocabulary.term("15", "010400000000").position


def test_the_list_68_term_with_a_wrong_parent_hangs_under_child_protection(
    loaded: vocabulary.LoadReport,
) -> None:
    term = vocabulary.term("68", "100304010100")
    assert term.parent == vocabulary.term("68", "100300000000")
    assert term.depth == 2


def test_the_typos_in_list_names_are_corrected(loaded: vocabulary.LoadReport) -> None:
    assert Thesaurus.objects.get(code="40").label_en == "Types of addresses"
    assert Thesaurus.objects.get(code="41").label_en == "Violation status"
    assert Thesaurus.objects.get(code="41").label_es != Thesaurus.objects.get(code="43").label_es


def test_every_correction_states_its_reason() -> None:
    for name in ("corrections.csv", "additions.csv"):
        assert all(row["reason"] for row in rows(HURIDOCS / name))


# --- Amparo's own lists -----------------------------------------------------------------------


def test_every_term_and_list_of_our_own_has_all_four_labels(loaded: vocabulary.LoadReport) -> None:
    ours = Term.objects.filter(source=vocabulary.SOURCE_AMPARO)
    assert ours.count() == sum(
        len(rows(SHIPPED / f"{row['code']}.csv")) for row in rows(SHIPPED / "lists.csv")
    )
    items: list[Term | Thesaurus] = [
        *ours,
        *Thesaurus.objects.filter(source=vocabulary.SOURCE_AMPARO),
    ]
    for item in items:
        assert all(getattr(item, name) for name in vocabulary.LABEL_FIELDS), item.label_en
        assert ARABIC.search(item.label_ar), item.label_en


def test_the_defender_types_cover_nhri_members_and_staff(loaded: vocabulary.LoadReport) -> None:
    nhri = vocabulary.term("defender_types", "nhri")
    assert {child.code for child in nhri.children.all()} == {
        "nhri_member",
        "nhri_staff",
        "ombudsperson_staff",
    }


def test_reprisals_against_nhris_are_acts_of_their_own(loaded: vocabulary.LoadReport) -> None:
    reprisal = vocabulary.term("hrd_violations", "nhri_reprisal")
    assert {child.code for child in reprisal.children.all()} == {
        "nhri_appointments",
        "nhri_budget_cut",
        "nhri_threats",
        "nhri_smear",
        "nhri_legislative",
        "nhri_obstruction",
    }


def test_the_perpetrator_list_only_adds_what_list_24_lacks(loaded: vocabulary.LoadReport) -> None:
    list_24 = {term.label_en.casefold() for term in Term.objects.filter(thesaurus__code="24")}
    for term in Term.objects.filter(thesaurus__code="perpetrator_types"):
        assert term.label_en.casefold() not in list_24
    assert "unknown" in list_24


# --- resolving values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thesaurus", "value", "code"),
    [
        ("15", "010368000000", "010368000000"),  # code
        ("15", "01036800000015", "010368000000"),  # HURIDOCS vocab_number
        ("geographical_terms", "South Sudan", "010368000000"),  # slug instead of code
        ("15", "soudan du sud", "010368000000"),
        ("15", "SUDAN DEL SUR", "010368000000"),
        ("15", "جنوب السودان", "010368000000"),
        ("15", "côte d\u2019ivoire", "010524000000"),  # curly apostrophe, no capitals
        ("01", "الاختطاف", "010204210301"),  # source spells it with hamza: الإختطاف
        ("defender_types", "Journalist", "journalist"),  # the code, case-insensitively
        ("defender_types", "abogado o abogada", "lawyer"),
        ("defender_types", "  Défenseur  des droits de l'enfant ", "child_rights"),
        ("hrd_violations", "تهديد بالقتل", "threat_death"),
        ("gender", "femme trans", "trans_woman"),
        ("age_groups", "18 a 29 anos", "18_29"),
    ],
)
def test_lookup_resolves_a_code_or_a_label_in_any_language(
    loaded: vocabulary.LoadReport, thesaurus: str, value: str, code: str
) -> None:
    assert vocabulary.lookup(thesaurus, value).code == code


def test_lookup_refuses_a_label_shared_by_several_terms(loaded: vocabulary.LoadReport) -> None:
    with pytest.raises(vocabulary.AmbiguousTerm) as raised:
        vocabulary.lookup("04", "Surveillance")
    assert {term.code for term in raised.value.candidates} == {
        "020103030000",
        "120104000000",
        "300104030700",
    }


def test_lookup_of_an_unknown_value_or_list_says_so(loaded: vocabulary.LoadReport) -> None:
    with pytest.raises(vocabulary.TermNotFound, match="Atlantis"):
        vocabulary.lookup("15", "Atlantis")
    with pytest.raises(vocabulary.ThesaurusNotFound):
        vocabulary.lookup("planets", "Mars")
    with pytest.raises(vocabulary.TermNotFound):
        vocabulary.term("15", "999999999999")


def test_lookup_skips_inactive_terms_that_term_still_finds(loaded: vocabulary.LoadReport) -> None:
    Term.objects.filter(thesaurus__code="15", code="010265000000").update(active=False)
    with pytest.raises(vocabulary.TermNotFound):
        vocabulary.lookup("15", "Zaire (from 1971 until 1997)")
    assert vocabulary.lookup("15", "Zaïre (de 1971 à 1997)", include_inactive=True).code == (
        "010265000000"
    )
    assert vocabulary.term("15", "010265000000").active is False


def test_one_resolver_serves_many_lookups_with_one_query(
    loaded: vocabulary.LoadReport, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(2):
        resolver = vocabulary.TermResolver("15")
        names = [resolver.resolve(name).code for name in ("Kenya", "Chili", "Perú", "مصر")]
    assert names == ["010135000000", "020323000000", "020348000000", "010326000000"]


# --- the command ------------------------------------------------------------------------------


def test_vocab_load_prints_counts_per_list_and_totals() -> None:
    out = StringIO()
    call_command("vocab", "load", stdout=out)
    output = out.getvalue()
    assert re.search(r"^15 geographical_terms \*\s+287\s+0\s+0\s+0$", output, re.MULTILINE)
    assert re.search(rf"^total\s+{Term.objects.count()}\s+0\s+0\s+0$", output, re.MULTILINE)
    assert "Vocabularies loaded." in output


def test_vocab_load_dry_run_writes_nothing() -> None:
    out = StringIO()
    call_command("vocab", "load", "--dry-run", stdout=out)
    assert "Dry run: nothing was written." in out.getvalue()
    assert not Thesaurus.objects.exists()


def test_vocab_load_lists_every_problem_and_fails(copy: Path) -> None:
    parent_cycle(copy)
    empty_english_label(copy)
    with pytest.raises(CommandError) as raised:
        call_command("vocab", "load", "--path", str(copy))
    message = str(raised.value)
    assert "2 problems; nothing was loaded" in message
    assert "gender.csv, line 2: parent cycle" in message
    assert "age_groups.csv, line 2: empty English label" in message


def test_vocab_list_shows_each_list_with_its_term_count(loaded: vocabulary.LoadReport) -> None:
    out = StringIO()
    call_command("vocab", "list", stdout=out)
    assert re.search(
        r"^defender_types\s+defender_types\s+30\s+0\s+Types of human", out.getvalue(), re.M
    )


# --- browsing ---------------------------------------------------------------------------------


@pytest.fixture
def reader(client: Client) -> Client:
    client.force_login(member(Role.READ_ONLY, Clearance.PUBLIC))
    return client


def in_arabic(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    return client


def test_the_vocabulary_list_shows_each_list_with_its_source_and_term_count(
    loaded: vocabulary.LoadReport, reader: Client
) -> None:
    page = reader.get(reverse("core:thesaurus_list")).content.decode()
    assert 'dir="ltr"' in page
    detail = reverse("core:thesaurus_detail", args=["defender_types"])
    assert f'<a href="{detail}">Types of human rights defenders</a>' in page
    assert "Types of addresses" in page
    assert page.index("Types of human rights defenders") < page.index("HURIDOCS Index terms")


def test_the_vocabulary_list_is_right_to_left_in_arabic(
    loaded: vocabulary.LoadReport, reader: Client
) -> None:
    page = in_arabic(reader).get(reverse("core:thesaurus_list")).content.decode()
    assert 'dir="rtl"' in page
    assert "فئات المدافعين عن حقوق الإنسان" in page


def test_the_term_tree_shows_every_language_and_indents_by_depth(
    loaded: vocabulary.LoadReport, reader: Client
) -> None:
    page = reader.get(reverse("core:thesaurus_detail", args=["defender_types"])).content.decode()
    assert '<td class="depth-1">Community or citizen journalist' in page
    assert '<td class="depth-0">Journalist or media worker' in page
    assert '<td lang="fr" dir="ltr">Journaliste ou travailleur des médias</td>' in page
    assert '<td lang="ar" dir="rtl">صحفي أو عامل في وسائل الإعلام</td>' in page
    assert page.index("Journalist or media worker") < page.index("Community or citizen journalist")


def test_the_term_tree_in_arabic_shows_the_arabic_labels_first(
    loaded: vocabulary.LoadReport, reader: Client
) -> None:
    page = in_arabic(reader).get(reverse("core:thesaurus_detail", args=["hrd_violations"]))
    html = page.content.decode()
    assert 'dir="rtl"' in html
    assert '<td class="depth-1">تهديد بالقتل' in html
    assert '<td lang="en" dir="ltr">Death threat</td>' in html


def test_searching_shows_the_matches_and_their_broader_terms(
    loaded: vocabulary.LoadReport, reader: Client
) -> None:
    url = reverse("core:thesaurus_detail", args=["geographical_terms"])
    page = reader.get(url, {"q": "soudan"}).content.decode()
    assert "South Sudan" in page and ">Sudan<" in page
    assert "Kenya" not in page
    assert re.search(r'<tr class="context">\s*<td><code>010300000000</code>', page)
    assert "2 terms match “soudan”." in page
    by_code = reader.get(url, {"q": "010135"}).content.decode()
    assert "Kenya" in by_code and "Uganda" not in by_code


def test_inactive_terms_are_marked(loaded: vocabulary.LoadReport, reader: Client) -> None:
    Term.objects.filter(thesaurus__code="age_groups", code="unknown").update(active=False)
    page = reader.get(reverse("core:thesaurus_detail", args=["age_groups"])).content.decode()
    assert re.search(r'<tr class="inactive">\s*<td><code>unknown</code>', page)
    assert '<span class="badge">Inactive</span>' in page
    listing = reader.get(reverse("core:thesaurus_list")).content.decode()
    assert "(1 inactive)" in listing


def test_an_empty_list_says_it_has_no_terms(loaded: vocabulary.LoadReport, reader: Client) -> None:
    page = reader.get(reverse("core:thesaurus_detail", args=["national_legislation"]))
    assert "This list has no terms." in page.content.decode()


def test_an_unknown_vocabulary_is_not_found(reader: Client) -> None:
    assert reader.get(reverse("core:thesaurus_detail", args=["planets"])).status_code == 404


def test_visitors_who_are_not_signed_in_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get(reverse("core:thesaurus_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_only_a_deployment_administrator_may_load_from_the_application() -> None:
    with pytest.raises(PermissionDenied):
        vocabulary.load(actor=member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL))
    assert not Thesaurus.objects.exists()
