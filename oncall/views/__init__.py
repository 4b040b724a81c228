"""On-call pages, one module per page family; oncall/urls.py routes to these names."""

from .feeds import feed_new, feed_remove, ical_feed
from .handoffs import handoff_detail
from .health import health
from .mine import contact_method_remove, mine
from .now import home
from .pages import incident_pages_acknowledge, page_acknowledge_link
from .policies import policy_edit
from .schedules import (
    layer_remove,
    layer_save,
    override_add,
    override_remove,
    schedule_detail,
)
from .teams import team_detail, team_edit

__all__ = [
    "contact_method_remove",
    "feed_new",
    "feed_remove",
    "handoff_detail",
    "health",
    "home",
    "ical_feed",
    "incident_pages_acknowledge",
    "layer_remove",
    "layer_save",
    "mine",
    "override_add",
    "override_remove",
    "page_acknowledge_link",
    "policy_edit",
    "schedule_detail",
    "team_detail",
    "team_edit",
]
