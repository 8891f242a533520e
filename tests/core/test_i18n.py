"""Compiling translation catalogues without GNU gettext (python -m amparo.core.i18n compile)."""

from __future__ import annotations

import gettext
import os
from pathlib import Path

import pytest

from amparo.core import i18n

HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

"""


def write_catalogue(locale_dir: Path, language: str, entries: str) -> Path:
    po_path = locale_dir / language / "LC_MESSAGES" / "django.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_text(HEADER + entries, encoding="utf-8")
    return po_path


def load(po_path: Path) -> gettext.GNUTranslations:
    with po_path.with_suffix(".mo").open("rb") as mo_file:
        return gettext.GNUTranslations(mo_file)


def test_every_catalogue_is_compiled_to_a_mo_file_that_gettext_reads(tmp_path: Path) -> None:
    french = write_catalogue(tmp_path, "fr", 'msgid "Log out"\nmsgstr "Se déconnecter"\n')
    arabic = write_catalogue(tmp_path, "ar", 'msgid "Log out"\nmsgstr "تسجيل الخروج"\n')

    assert i18n.main(["compile", str(tmp_path)]) == 0

    assert load(french).gettext("Log out") == "Se déconnecter"
    assert load(arabic).gettext("Log out") == "تسجيل الخروج"


def test_plural_forms_are_compiled(tmp_path: Path) -> None:
    po_path = write_catalogue(
        tmp_path,
        "fr",
        "#, python-format\n"
        'msgid "%(count)s file"\nmsgid_plural "%(count)s files"\n'
        'msgstr[0] "%(count)s fichier"\nmsgstr[1] "%(count)s fichiers"\n',
    )

    assert i18n.main(["compile", str(tmp_path)]) == 0

    assert load(po_path).ngettext("%(count)s file", "%(count)s files", 3) == "%(count)s fichiers"


def test_fuzzy_translations_are_left_out_as_msgfmt_does(tmp_path: Path) -> None:
    po_path = write_catalogue(
        tmp_path, "es", '#, fuzzy\nmsgid "Cases"\nmsgstr "Casas"\n\nmsgid "Home"\nmsgstr "Inicio"\n'
    )

    assert i18n.main(["compile", str(tmp_path)]) == 0

    assert load(po_path).gettext("Cases") == "Cases"
    assert load(po_path).gettext("Home") == "Inicio"


def test_no_catalogues_yet_is_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert i18n.main(["compile", str(tmp_path)]) == 0
    assert "nothing to compile" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("source", "translation", "reason"),
    [
        ("Hello %(name)s", "Bonjour %(nom)s", "unknown placeholder(s) %(nom)"),
        ("%d events", "%s événements %d", "positional placeholders sd where the source has d"),
        ("%d events", "événements", "positional placeholders none where the source has d"),
    ],
)
def test_a_translation_whose_placeholders_would_fail_at_run_time_stops_the_compilation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, translation: str, reason: str
) -> None:
    po_path = write_catalogue(
        tmp_path, "fr", f'#, python-format\nmsgid "{source}"\nmsgstr "{translation}"\n'
    )

    assert i18n.main(["compile", str(tmp_path)]) == 1

    assert f"{po_path}:6: {reason}" in capsys.readouterr().err
    assert not po_path.with_suffix(".mo").exists()


def test_a_translation_may_leave_out_a_named_placeholder_and_add_a_literal_percent(
    tmp_path: Path,
) -> None:
    write_catalogue(
        tmp_path,
        "fr",
        '#, python-format\nmsgid "%(count)s%% of %(name)s"\nmsgstr "%(count)s %% du total"\n',
    )

    assert i18n.main(["compile", str(tmp_path)]) == 0


def test_a_catalogue_that_cannot_be_parsed_is_reported_with_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    po_path = write_catalogue(tmp_path, "fr", 'msgid "Home"\nmsgstr "Accueil"\nAccueil\n')

    assert i18n.main(["compile", str(tmp_path)]) == 1

    assert str(po_path) in capsys.readouterr().err


def test_an_up_to_date_mo_file_is_not_rewritten(tmp_path: Path) -> None:
    po_path = write_catalogue(tmp_path, "fr", 'msgid "Home"\nmsgstr "Accueil"\n')
    i18n.main(["compile", str(tmp_path)])
    mo_path = po_path.with_suffix(".mo")
    os.utime(mo_path, (po_path.stat().st_mtime + 10, po_path.stat().st_mtime + 10))
    written = mo_path.stat().st_mtime_ns

    i18n.main(["compile", str(tmp_path)])

    assert mo_path.stat().st_mtime_ns == written


def test_an_edited_catalogue_is_compiled_again(tmp_path: Path) -> None:
    po_path = write_catalogue(tmp_path, "fr", 'msgid "Home"\nmsgstr "Accueil"\n')
    i18n.main(["compile", str(tmp_path)])
    mo_path = po_path.with_suffix(".mo")
    os.utime(mo_path, (po_path.stat().st_mtime - 10, po_path.stat().st_mtime - 10))
    po_path.write_text(HEADER + 'msgid "Home"\nmsgstr "Page principale"\n', encoding="utf-8")

    i18n.main(["compile", str(tmp_path)])

    assert load(po_path).gettext("Home") == "Page principale"


# python -m amparo.core.i18n check: untranslated catalogues and unmarked template text.


def write_template(directory: Path, name: str, text: str) -> Path:
    path = directory / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_translated_catalogue_and_marked_templates_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(tmp_path / "locale", "fr", 'msgid "Log out"\nmsgstr "Se déconnecter"\n')
    write_template(
        tmp_path,
        "good.html",
        '{% load i18n %}<h1 title="{% translate "Home" %}">{% translate "Log out" %}</h1>\n'
        "{% blocktranslate count n=items|length %}{{ n }} item{% plural %}{{ n }} items"
        "{% endblocktranslate %}\n"
        "<p>{{ record.title }} · 2026 — {{ count }} / UTC PDF</p>\n"
        "{% comment %}A note for developers, never shown.{% endcomment %}\n"
        "<script>const words = 'not shown';</script><style>p { color: red }</style>\n"
        '<{{ heading }} class="title">{{ text }}</{{ heading }}>\n'
        "<span>no-referrer</span>{# i18n: ignore: a code #}\n",
    )

    status = i18n.main(
        ["check", "--catalogues", str(tmp_path / "locale"), "--templates", str(tmp_path)]
    )

    assert status == 0, capsys.readouterr().err


def test_unmarked_template_text_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_template(
        tmp_path,
        "bad.html",
        '{% load i18n %}<h1>{% translate "Cases" %}</h1>\n'
        "<p>\n  Nothing here yet.\n</p>\n"
        '<img src="x.png" alt="A map">\n',
    )

    assert i18n.main(["check", "--templates", str(tmp_path)]) == 1

    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        f"{bad}:3: text not marked for translation: 'Nothing here yet.'",
        f"{bad}:5: text not marked for translation: \"alt='A map'\"",
    ]


def test_untranslated_and_fuzzy_messages_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    po_path = write_catalogue(
        tmp_path,
        "es",
        'msgid "Log out"\nmsgstr ""\n\n#, fuzzy\nmsgid "Cases"\nmsgstr "Casos"\n\n'
        'msgid "Home"\nmsgstr "Inicio"\n',
    )

    assert i18n.main(["check", "--catalogues", str(tmp_path)]) == 1

    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        f"{po_path}:6: untranslated: 'Log out'",
        f"{po_path}:9: fuzzy translation of 'Cases'",
    ]
