"""Postmortem and action-item changes, one service each; a module per sub-domain.

drafts        drafting from the incident's facts, refreshing them, the section template
editing       sections (with conflict detection) and impact figures
review        review requests, approvals, the reviewers' email, publication
action_items  creating, changing and removing action items
documents     the snapshot a document shows and its PDF
reminders     emails about overdue postmortems and action items
"""

from postmortems.services.action_items import (
    action_item_create,
    action_item_delete,
    action_item_update,
)
from postmortems.services.common import PostmortemError
from postmortems.services.documents import (
    postmortem_document,
    postmortem_pdf_lookup,
    postmortem_pdf_render,
    postmortem_pdf_request,
)
from postmortems.services.drafts import (
    incident_facts,
    postmortem_draft,
    postmortem_refresh,
    postmortem_template_get,
    postmortem_template_update,
)
from postmortems.services.editing import (
    FiguresConflict,
    SectionConflict,
    figures_drawn,
    postmortem_edit_section,
    postmortem_set_figures,
)
from postmortems.services.reminders import reminders_send
from postmortems.services.review import (
    postmortem_publish,
    postmortem_request_review,
    postmortem_review,
    postmortem_review_notify,
    publish_blockers,
    snapshot_hash,
)

__all__ = [
    "FiguresConflict",
    "PostmortemError",
    "SectionConflict",
    "action_item_create",
    "action_item_delete",
    "action_item_update",
    "figures_drawn",
    "incident_facts",
    "postmortem_document",
    "postmortem_draft",
    "postmortem_edit_section",
    "postmortem_pdf_lookup",
    "postmortem_pdf_render",
    "postmortem_pdf_request",
    "postmortem_publish",
    "postmortem_refresh",
    "postmortem_request_review",
    "postmortem_review",
    "postmortem_review_notify",
    "postmortem_set_figures",
    "postmortem_template_get",
    "postmortem_template_update",
    "publish_blockers",
    "reminders_send",
    "snapshot_hash",
]
