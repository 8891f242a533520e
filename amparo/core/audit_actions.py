"""Every action the audit log knows, with its label in the reader's language: one registry.

`audit.record` refuses a name that is not here, so an action is never a string assembled at run
time and the log reads the same to whoever filters or exports it. An app that records a new
action adds it here, in its own group (as Zulip's AuditLogEventType does). The names are stored
in the log as they are: never rename one that has been recorded.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # core: organisations and accounts
    ORGANISATION_CREATE = "organisation.create", _("Organisation created")
    USER_CREATE = "user.create", _("Account created")
    MEMBERSHIP_ADD = "membership.add", _("Role given")
    MEMBERSHIP_DEACTIVATE = "membership.deactivate", _("Role removed")
    USER_LOGIN = "user.login", _("Signed in")
    USER_LOGIN_FAILED = "user.login_failed", _("Failed sign-in")
    USER_LOCKED_OUT = "user.locked_out", _("Sign-in locked after failures")
    USER_LOGOUT = "user.logout", _("Signed out")
    USER_LOGOUT_EVERYWHERE = "user.logout_everywhere", _("Signed out on every device")
    USER_TWO_FACTOR_ENROLLED = "user.two_factor_enrolled", _("Authenticator enrolled")
    USER_BACKUP_CODES_REGENERATED = "user.backup_codes_regenerated", _("Backup codes replaced")
    # core: vocabularies, keys, the log itself
    VOCABULARY_LOAD = "vocabulary.load", _("Vocabularies loaded")
    KEYS_ROTATE = "keys.rotate", _("Keys rotated")
    KEYS_ADD = "keys.add", _("Key added")
    KEYS_PROMOTE = "keys.promote", _("Key made primary")
    KEYS_RETIRE = "keys.retire", _("Key retired")
    KEYS_ORGANISATION_CREATE = "keys.organisation_create", _("Organisation keys made")
    KEYS_PERSONAL_CREATE = "keys.personal_create", _("Personal key made")
    KEYS_PASSWORD_CHANGE = "keys.password_change", _("Password changed, personal key re-sealed")
    KEYS_RECOVER = "keys.recover", _("Password reset with the recovery key")
    KEYS_GRANT = "keys.grant", _("Organisation key granted")
    KEYS_GRANT_REVOKE = "keys.grant_revoke", _("Organisation key withdrawn")
    KEYS_MIGRATE = "keys.migrate", _("Records moved to organisation keys")
    AUDIT_ANCHOR = "audit.anchor", _("Audit log anchored")
    AUDIT_EXPORT = "audit.export", _("Audit log exported")
    # api
    API_TOKEN_ISSUE = "api_token.issue", _("API token issued")
    API_TOKEN_REVOKE = "api_token.revoke", _("API token revoked")
    # cases: events
    EVENT_CREATE = "event.create", _("Event recorded")
    EVENT_UPDATE = "event.update", _("Event edited")
    EVENT_ADD_ACT = "event.add_act", _("Act added")
    EVENT_CHANGE_ACT = "event.change_act", _("Act changed")
    EVENT_SUBMIT = "event.submit", _("Event submitted for verification")
    EVENT_VERIFY = "event.verify", _("Event verified")
    EVENT_CLOSE = "event.close", _("Event closed")
    EVENT_RESTORE = "event.restore", _("Earlier version restored")
    EVENT_ADD_SOURCE = "event.add_source", _("Source added")
    EVENT_ADD_INTERVENTION = "event.add_intervention", _("Intervention added")
    EVENT_ADD_CHAIN_LINK = "event.add_chain_link", _("Linked to another event")
    EVENT_REMOVE_SOURCE = "event.remove_source", _("Source removed")
    EVENT_REMOVE_INTERVENTION = "event.remove_intervention", _("Intervention removed")
    EVENT_REMOVE_CHAIN_LINK = "event.remove_chainlink", _("Link to another event removed")
    EVENT_COMMENT = "event.comment", _("Comment added")
    EVENT_SHARE = "event.share", _("Event shared")
    EVENT_UNSHARE = "event.unshare", _("Sharing revoked")
    EVENT_SHARE_EXPIRED = "event.share_expired", _("Expired sharing's keys withdrawn")
    # cases: persons
    PERSON_CREATE = "person.create", _("Person recorded")
    PERSON_UPDATE = "person.update", _("Person's details changed")
    PERSON_CONSENT_GIVEN = "person.consent_given", _("Consent recorded")
    PERSON_CONSENT_WITHDRAWN = "person.consent_withdrawn", _("Consent withdrawn")
    # Lists the person ids and the channel (cases.models.DisclosureChannel), never a name.
    PERSON_IDENTITY_DISCLOSED = "person.identity_disclosed", _("Identity seen")
    # cases: exchange
    CASES_IMPORT = "cases.import", _("Cases imported")
    CASES_EXPORT = "cases.export", _("Cases exported")
    # intake
    INTAKE_VIEW = "intake.view", _("Report read")
    INTAKE_ASSIGN = "intake.assign", _("Report assigned")
    INTAKE_STATUS = "intake.status", _("Report status changed")
    INTAKE_MARK = "intake.mark", _("Report marked")
    INTAKE_REPLY = "intake.reply", _("Reply sent to the reporter")
    INTAKE_NOTE = "intake.note", _("Note added to a report")
    INTAKE_COMMUNICATION = "intake.communication", _("Communication with the reporter noted")
    INTAKE_DOWNLOAD = "intake.download", _("Report attachment downloaded")
    INTAKE_OPEN_CASE = "intake.open_case", _("Case opened from a report")
    INTAKE_PURGE = "intake.purge", _("Report deleted after its retention period")
    # recommendations
    RECOMMENDATIONS_REFERENCE_LOAD = (
        "recommendations.reference_load",
        _("Recommendation reference lists loaded"),
    )
    RECOMMENDATIONS_IMPORT = "recommendations.import", _("Recommendations imported")
    RECOMMENDATIONS_EXPORT = "recommendations.export", _("Recommendations exported")
    RECOMMENDATIONS_TRAIN = "recommendations.train", _("Theme suggestion trained")
    RECOMMENDATIONS_CLASSIFY = "recommendations.classify", _("Themes suggested for recommendations")
    RECOMMENDATION_CREATE = "recommendation.create", _("Recommendation recorded")
    RECOMMENDATION_UPDATE = "recommendation.update", _("Recommendation edited")
    RECOMMENDATION_RESPOND = "recommendation.respond", _("Position of the State recorded")
    RECOMMENDATION_SUGGEST_THEMES = "recommendation.suggest_themes", _("Themes suggested")
    RECOMMENDATION_CONFIRM_THEME = "recommendation.confirm_theme", _("Theme confirmed")
    RECOMMENDATION_REMOVE_THEME = "recommendation.remove_theme", _("Theme removed or rejected")
    RECOMMENDATION_LINK_CASES = "recommendation.link_cases", _("Linked to case statistics")
    RECOMMENDATION_UNLINK_CASES = (
        "recommendation.unlink_cases",
        _("Link to case statistics removed"),
    )
    RECOMMENDATION_ADD_ACTION = "recommendation.add_action", _("Action added to the plan")
    RECOMMENDATION_CHANGE_ACTION = "recommendation.change_action", _("Action of the plan changed")
    RECOMMENDATION_ADD_INDICATOR = "recommendation.add_indicator", _("Indicator added")
    RECOMMENDATION_INDICATOR_VALUE = (
        "recommendation.indicator_value",
        _("Indicator value recorded"),
    )
    PROGRESS_REPORT_SUBMIT = "progress_report.submit", _("Progress report submitted")
    PROGRESS_REPORT_ENDORSE = "progress_report.endorse", _("Progress report endorsed")
    PROGRESS_REPORT_CONTEST = "progress_report.contest", _("Progress report contested")
    RATIFICATION_SET = "ratification.set", _("Ratification status recorded")
    RATIFICATIONS_IMPORT = "ratifications.import", _("Ratification statuses imported")
    # network: membership (one action per transition of network/rules/lifecycle.csv)
    NETWORK_MEMBER_PROPOSE = "network.member.propose", _("Network member proposed")
    NETWORK_MEMBER_INVITE = "network.member.invite", _("State invited to the network")
    NETWORK_MEMBER_ACCEPT = "network.member.accept", _("Invitation to the network accepted")
    NETWORK_MEMBER_ACTIVATE = "network.member.activate", _("Network membership activated")
    NETWORK_MEMBER_OPEN_REVIEW = "network.member.open_review", _("Network membership review opened")
    NETWORK_MEMBER_CONCLUDE_REVIEW = (
        "network.member.conclude_review",
        _("Network membership review closed"),
    )
    NETWORK_MEMBER_SUSPEND = "network.member.suspend", _("Network membership suspended")
    NETWORK_MEMBER_REINSTATE = "network.member.reinstate", _("Network membership reinstated")
    NETWORK_MEMBER_END = "network.member.end", _("Network membership ended")
    NETWORK_MEMBER_WITHDRAW = "network.member.withdraw", _("State withdrew from the network")
    NETWORK_MEMBER_PUBLICATION = (
        "network.member.publication",
        _("Network member's public page changed"),
    )
    # network: delegations
    NETWORK_DELEGATION_ADD_ORGANISATION = (
        "network.delegation.add_organisation",
        _("Organisation added to a delegation"),
    )
    NETWORK_DELEGATION_REMOVE_ORGANISATION = (
        "network.delegation.remove_organisation",
        _("Organisation removed from a delegation"),
    )
    NETWORK_DELEGATION_ACCREDITATION = (
        "network.delegation.accreditation",
        _("NHRI accreditation status changed"),
    )
    NETWORK_DELEGATION_ADD_CONTACT = (
        "network.delegation.add_contact",
        _("Focal point added to a delegation"),
    )
    NETWORK_DELEGATION_REMOVE_CONTACT = (
        "network.delegation.remove_contact",
        _("Focal point removed from a delegation"),
    )
    # network: commitments and reviews
    NETWORK_COMMITMENT_CREATE = "network.commitment.create", _("Commitment recorded")
    NETWORK_COMMITMENT_PUBLISH = "network.commitment.publish", _("Commitment published")
    NETWORK_COMMITMENT_CLOSE = "network.commitment.close", _("Commitment fulfilled or withdrawn")
    NETWORK_COMMITMENT_PROGRESS = "network.commitment.progress", _("Progress reported")
    NETWORK_COMMITMENT_COMMENT = "network.commitment.comment", _("Progress commented")
    NETWORK_REVIEW_SUBMIT = "network.review.submit", _("Review submission made")
    NETWORK_REVIEW_SUMMARISE = "network.review.summarise", _("Review summarised")
    NETWORK_REVIEW_RECOMMEND = "network.review.recommend", _("Review recommendation made")
    # network: governance and meetings
    NETWORK_CO_CHAIRS_CONFIRM = "network.co_chairs.confirm", _("Co-chairs' term confirmed")
    NETWORK_STEERING_ADD = "network.steering.add", _("Steering group member added")
    NETWORK_STEERING_END = "network.steering.end", _("Steering group seat ended")
    NETWORK_MEETING_CREATE = "network.meeting.create", _("Meeting recorded")
    NETWORK_MEETING_UPDATE = "network.meeting.update", _("Meeting record changed")
    NETWORK_MEETING_DECISION = "network.meeting.decision", _("Meeting decision recorded")
    NETWORK_MEETING_ACTION = "network.meeting.action", _("Action item recorded")
    NETWORK_MEETING_ACTION_DONE = "network.meeting.action_done", _("Action item done")
    NETWORK_EXPORT = "network.export", _("Network data exported")
    # cases: de-duplication
    PERSON_MERGE = "person.merge", _("Persons merged")
    PERSON_MERGE_UNDO = "person.merge_undo", _("Merge of persons undone")
    # stats
    # warning: alerts and risk assessments
    WARNING_ALERT_RAISE = "warning.alert.raise", _("Alert raised")
    WARNING_ALERT_LEVEL_RISE = "warning.alert.level_rise", _("Alert's level rose the same day")
    WARNING_ALERT_ACKNOWLEDGE = "warning.alert.acknowledge", _("Alert acknowledged")
    WARNING_ALERT_ESCALATE = "warning.alert.escalate", _("Alert escalated to the next contact")
    WARNING_ALERT_CLOSE = "warning.alert.close", _("Alert closed")
    WARNING_RISK_OVERRIDE = "warning.risk.override", _("Risk level set by staff")
    # response: plans, actions, communications with mechanisms
    RESPONSE_PLAN_CREATE = "response.plan.create", _("Response plan opened")
    RESPONSE_ACTION_ADD = "response.action.add", _("Response action assigned")
    RESPONSE_ACTION_UPDATE = "response.action.update", _("Response action updated")
    RESPONSE_PLAN_CLOSE = "response.plan.close", _("Response plan closed: every action finished")
    RESPONSE_COMMUNICATION_ADD = (
        "response.communication.add",
        _("Communication to a mechanism recorded"),
    )
    STATS_REBUILD = "stats.rebuild", _("Statistics rebuilt from the case records")
    STATS_EXPORT = "stats.export", _("Statistics exported")
    STATS_REPORT = "stats.report", _("Statistics report produced")
    LAW_CREATE = "law.create", _("Law recorded")
    LAW_UPDATE = "law.update", _("Law's record changed")
    LAW_PROVISION_ADD = "law.provision_add", _("Provision of a law recorded")
    LAW_USE_RECORD = "law.use_record", _("Law used in an act recorded")
    LAW_USE_REMOVE = "law.use_remove", _("Law used in an act removed")
    DEDUPE_RUN = "dedupe.run", _("Search for duplicates")
    DEDUPE_REJECT = "dedupe.reject", _("Candidate duplicates marked as different")
    DEDUPE_SAME_EVENT = "dedupe.same_event", _("Events confirmed as the same incident")
    # portal: publications (made, submitted, approved by a second person, withdrawn)
    PORTAL_PUBLICATION_CREATE = "portal.publication_create", _("Publication prepared")
    PORTAL_PUBLICATION_SUBMIT = "portal.publication_submit", _("Publication submitted for approval")
    PORTAL_PUBLICATION_APPROVE = (
        "portal.publication_approve",
        _("Publication approved and made public"),
    )
    PORTAL_PUBLICATION_WITHDRAW = "portal.publication_withdraw", _("Publication withdrawn")
    PORTAL_PUBLICATION_CONSENT_WITHDRAWN = (
        "portal.publication_consent_withdrawn",
        _("Publication withdrawn: a consent to publication was withdrawn"),
    )
    # demo
    DEMO_WORLD_CREATED = "demo.cases_created", _("Demo world created")
    DEMO_RECOMMENDATIONS_CREATED = (
        "demo.recommendations_created",
        _("Demo recommendations created"),
    )


_REGISTERED = frozenset(AuditAction.values)


def is_registered(name: str) -> bool:
    return name in _REGISTERED


def label(name: str) -> str:
    """The action's label in the active language; an unknown name (recorded by an older
    version) as it is."""
    return str(AuditAction(name).label) if name in AuditAction.values else name
