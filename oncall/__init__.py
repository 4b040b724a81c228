"""On-call: teams, schedules, rotations, overrides, escalation, paging, handoffs."""
