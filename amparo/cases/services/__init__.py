"""Every write to case records: one function per change, each checking permission through
`amparo.cases.access`, validating, writing in one transaction, versioning the event aggregate
and recording an audit entry. One module per domain action (events, acts, persons, sources,
interventions, chains, sharing, consent, disclosure, comments, workflow, restore); the names
callers use are importable from here.

The web pages, the API, imports, the demo world and the secure-intake channel ("open a case
from a report") all call these functions. `create_event` takes the whole aggregate at once:

    victim = PersonInput(full_name="…", sex=woman, defender_types=[journalist])
    create_event(actor, organisation, EventInput(
        title="Death threats against a community radio journalist",
        start_date=date(2026, 3, 2), country="KE",
        acts=[ActInput(victim=victim, type_of_act=death_threat,
                       involvements=[InvolvementInput(perpetrator_type=police)])],
    ))

The same PersonInput object used in several acts is one person. Identifying fields of a
PersonInput left as None are kept as they are (on a new person: empty).
"""

# A permission rule, kept importable here for callers that still ask services (intake).
from amparo.cases.services.acts import add_act, change_act
from amparo.cases.services.chains import add_chain_link
from amparo.cases.services.changes import events_of
from amparo.cases.services.comments import add_comment
from amparo.cases.services.consent import give_consent, withdraw_consent
from amparo.cases.services.disclosure import record_disclosure, record_export
from amparo.cases.services.events import create_event, event_recorded_with, update_event
from amparo.cases.services.inputs import (
    EVENT_INPUT_FIELDS,
    ActInput,
    EventInput,
    InterventionInput,
    InvolvementInput,
    PersonInput,
    SourceInput,
)
from amparo.cases.services.interventions import add_intervention
from amparo.cases.services.merges import merge_persons, undo_merge
from amparo.cases.services.persons import create_person, update_person
from amparo.cases.services.references import allocate_reference_code, reference_prefix
from amparo.cases.services.removal import remove_from_event
from amparo.cases.services.restore import restore_version
from amparo.cases.services.sharing import grant_sharing, revoke_sharing
from amparo.cases.services.snapshots import snapshot
from amparo.cases.services.sources import add_source
from amparo.cases.services.workflow import close_event, submit_event, verify_event

__all__ = [
    "EVENT_INPUT_FIELDS",
    "ActInput",
    "EventInput",
    "InterventionInput",
    "InvolvementInput",
    "PersonInput",
    "SourceInput",
    "add_act",
    "add_chain_link",
    "add_comment",
    "add_intervention",
    "add_source",
    "allocate_reference_code",
    "change_act",
    "close_event",
    "create_event",
    "create_person",
    "event_recorded_with",
    "events_of",
    "give_consent",
    "grant_sharing",
    "merge_persons",
    "record_disclosure",
    "record_export",
    "reference_prefix",
    "remove_from_event",
    "restore_version",
    "revoke_sharing",
    "snapshot",
    "submit_event",
    "undo_merge",
    "update_event",
    "update_person",
    "verify_event",
    "withdraw_consent",
]
