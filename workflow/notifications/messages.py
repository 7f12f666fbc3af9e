"""What each step of the pipeline tells people (DESIGN.md §3), in words a person reads."""

from flask_babel import lazy_gettext as _l

from workflow.domain import body_text

# Sentence for staff (coordinators, the Secretariat), per action.
STAFF_MESSAGES = {
    "create": _l("A nomination was entered."),
    "submit": _l("The nomination was submitted and waits for a regional session."),
    "schedule": _l("The nomination was put on a regional session's agenda."),
    "unschedule": _l("The nomination was taken off a regional session's agenda."),
    "support": _l("The regional session supported the nomination."),
    "decline_regionally": _l("The regional session did not support the nomination."),
    "defer": _l("The regional session deferred the nomination."),
    "forward": _l("The nomination was forwarded to the Secretariat."),
    "forward_again": _l("The corrected nomination was forwarded to the Secretariat again."),
    "accept": _l("The Secretariat accepted the nomination for review."),
    "return": _l("The Secretariat returned the nomination for correction."),
    "put_on_council_agenda": _l("The nomination was put on the Council's agenda."),
    "take_off_council_agenda": _l("The nomination was taken off the Council's agenda and is "
                                  "under review again."),
    "recommend": _l("The Council recommended the candidate to the Chairman."),
    "decline_by_council": _l("The Council declined the nomination."),
    "approve": _l("The Chairman approved the candidate."),
    "reject": _l("The Chairman rejected the nomination."),
    "issue_membership": _l("The membership was issued."),
    "withdraw": _l("The nomination was withdrawn."),
}

# Sentence for the nominee: about them, in the second person.
NOMINEE_MESSAGES = {
    "submit": _l("Your nomination has been registered and waits for a regional assembly session."),
    "support": _l("The regional assembly session supported your nomination."),
    "decline_regionally": _l("The regional assembly session did not support your nomination."),
    "forward": body_text("Your nomination has been forwarded to the Secretariat of "
                         "%(body_short)s."),
    "put_on_council_agenda": _l("Your nomination is on the agenda of the Council."),
    "recommend": body_text("The Council recommended you to the Chairman of %(body_short)s."),
    "decline_by_council": _l("The Council declined your nomination."),
    "reject": _l("Your nomination was not approved."),
    "withdraw": _l("Your nomination has been withdrawn."),
}

KIND_LABELS = {
    "transition": _l("Steps of nominations"),
    "reminder": _l("Reminders about waiting items and sessions"),
    "digest": _l("Weekly digest"),
}

CHANNEL_LABELS = {
    "email": _l("By e-mail and in the app"),
    "app": _l("In the app only"),
    "off": _l("Off"),
}

SUBJECTS = {
    "transition": _l("Nomination %(code)s: %(stage)s"),
    "nominee": _l("Your nomination %(code)s: %(stage)s"),
    "reminder": _l("Reminder: items waiting in your region"),
    "digest": _l("Weekly digest of nominations"),
}
