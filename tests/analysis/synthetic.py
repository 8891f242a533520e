"""Made-up victims documented by two sources, for the linkage tests (no real person).

`population()` gives a table of POPULATION people in five countries written by source "A", about a
third of them written again by source "B" as a second source would: in another script, without
accents, family name first, or with a typo. The model trains on this crowd; `CASES` are the
records the tests ask about, added to it.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from typing import Any

# (spelling in the victim's script, the Latin spelling another source uses)
GIVEN = {
    "EG": [
        ("محمد", "Mohamed"),
        ("أحمد", "Ahmed"),
        ("فاطمة", "Fatima"),
        ("خالد", "Khaled"),
        ("يوسف", "Youssef"),
        ("عمر", "Omar"),
        ("ليلى", "Leila"),
        ("حسن", "Hassan"),
    ],
    "RU": [
        ("Иван", "Ivan"),
        ("Ольга", "Olga"),
        ("Дмитрий", "Dmitry"),
        ("Сергей", "Sergei"),
        ("Наталья", "Natalya"),
        ("Юлия", "Yulia"),
        ("Алексей", "Aleksei"),
        ("Мария", "Maria"),
    ],
    "CO": [(name, name) for name in ("José", "María", "Andrés", "Lucía", "Jesús", "Inés")],
    "MX": [(name, name) for name in ("Ramón", "Sofía", "Martín", "Mónica", "Raúl", "Julián")],
    "FR": [(name, name) for name in ("François", "Hélène", "Jérôme", "Cécile", "Loïc", "Zoé")],
}
FAMILY = {
    "EG": [
        ("منصور", "Mansour"),
        ("حسين", "Hussein"),
        ("سالم", "Salem"),
        ("ناصر", "Nasser"),
        ("كريم", "Karim"),
        ("عبد الله", "Abdallah"),
        ("سعيد", "Said"),
        ("علي", "Ali"),
    ],
    "RU": [
        ("Петров", "Petrov"),
        ("Смирнов", "Smirnov"),
        ("Кузнецов", "Kuznetsov"),
        ("Попова", "Popova"),
        ("Соколов", "Sokolov"),
        ("Морозова", "Morozova"),
    ],
    "CO": [(name, name) for name in ("Pérez", "Gómez", "Rodríguez", "Martínez", "Muñoz")]
    + [("Suárez", "Suárez"), ("Jiménez", "Jiménez"), ("Sánchez", "Sánchez")],
    "MX": [(name, name) for name in ("Hernández", "López", "González", "Ramírez", "Cruz")]
    + [("Domínguez", "Domínguez"), ("Vázquez", "Vázquez")],
    "FR": [(name, name) for name in ("Lefèvre", "Dubois", "Moreau", "Lévêque", "Girard")]
    + [("Fontaine", "Fontaine"), ("Bérenger", "Bérenger")],
}
PLACES = {
    "EG": [("Cairo", "Cairo"), ("Giza", "Giza"), ("Alexandria", "Alexandria")],
    "RU": [("Moscow", "Moscow"), ("Saint Petersburg", "Saint Petersburg"), ("Kazan", "Tatarstan")],
    "CO": [("Cali", "Valle del Cauca"), ("Medellín", "Antioquia"), ("Tumaco", "Nariño")],
    "MX": [("Oaxaca", "Oaxaca"), ("Chilpancingo", "Guerrero"), ("Culiacán", "Sinaloa")],
    "FR": [("Lyon", "Rhône"), ("Marseille", "Bouches-du-Rhône"), ("Nantes", "Loire-Atlantique")],
}
DEFENDERS = ["JOURNALIST", "LAWYER", "LAND_DEFENDER", "TRADE_UNIONIST", "WOMAN_HRD"]
ACTS = ["KILLING", "ARBITRARY_DETENTION", "THREAT", "TORTURE"]
POPULATION_SEED = 20240601
POPULATION = 240


def person(
    record_id: str,
    source: str,
    name: str,
    country: str,
    *,
    born: int | None = None,
    sex: str | None = None,
    locality: str | None = None,
    region: str | None = None,
    dates: tuple[datetime.date, ...] = (),
    defender: str | None = None,
    act: str | None = None,
    other_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "source": source,
        "organisation": f"org-{source}",
        "full_name": name,
        "other_names": list(other_names),
        "sex": sex,
        "birth_year": born,
        "country": country,
        "region": region,
        "locality": locality,
        "event_dates": list(dates),
        "defender_types": [defender] if defender else [],
        "act_types": [act] if act else [],
    }


def population() -> list[dict[str, Any]]:
    chance = random.Random(POPULATION_SEED)
    records = []
    for number in range(POPULATION):
        country = chance.choice(sorted(GIVEN))
        given = chance.choice(GIVEN[country])
        family = chance.choice(FAMILY[country])
        locality, region = chance.choice(PLACES[country])
        date = datetime.date(2018, 1, 1) + datetime.timedelta(days=chance.randrange(2500))
        facts = {
            "born": chance.randrange(1950, 2004),
            "sex": chance.choice(["F", "M"]),
            "locality": locality,
            "region": region,
            "defender": chance.choice(DEFENDERS),
            "act": chance.choice(ACTS),
        }
        own = f"{given[0]} {family[0]}"
        records.append(person(f"A{number:03}", "A", own, country, dates=(date,), **facts))
        if number % 3 == 0:
            other = _as_another_source_writes(chance, given[1], family[1])
            later = date + datetime.timedelta(days=chance.randrange(0, 20))
            records.append(person(f"B{number:03}", "B", other, country, dates=(later,), **facts))
    return records


def _as_another_source_writes(chance: random.Random, given: str, family: str) -> str:
    style = chance.randrange(3)
    if style == 0:
        return f"{family.upper()}, {given}"
    if style == 1:
        written = unicodedata.normalize("NFKD", f"{given} {family}")
        return "".join(letter for letter in written if not unicodedata.combining(letter))
    position = chance.randrange(1, len(family))
    return f"{given} {family[:position]}{family[position + 1 :]}"  # a letter left out
