"""Record linkage across sources: candidate duplicate persons (`link_persons`, a Splink model on
an in-memory DuckDB database) and events (`link_events`, rules). Decrypted values stay in memory."""

from amparo.analysis.linkage.events import EVENT_COLUMNS, EventRules, link_events
from amparo.analysis.linkage.persons import PersonLinkage, link_persons
from amparo.analysis.linkage.records import PERSON_COLUMNS, LinkageInputError

__all__ = [
    "EVENT_COLUMNS",
    "PERSON_COLUMNS",
    "EventRules",
    "LinkageInputError",
    "PersonLinkage",
    "link_events",
    "link_persons",
]
