"""A postmortem snapshot as one Markdown document, for wikis and tickets (pure)."""

from typing import Any


def _cell(value: Any) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def _timeline_item(entry: dict[str, Any]) -> str:
    """One list item per entry. A note is Markdown its author formatted: it goes in whole,
    indented under its item, so its paragraphs, lists and code keep their shape."""
    pinned = " · ★ pinned" if entry.get("pinned") else ""
    head = f"- {entry['at']} · {entry['actor'] or '—'}{pinned}"
    text = (entry.get("text") or "").strip()
    if entry.get("kind") != "note":
        return f"{head}: {' '.join(text.split()) or '—'}"
    body = "\n".join(f"  {line}" if line.strip() else "" for line in text.splitlines())
    return f"{head}:\n\n{body}\n"


def to_markdown(snapshot: dict[str, Any]) -> str:
    facts = snapshot["facts"]
    inc = facts["incident"]
    lines = [f"# Postmortem: {inc['reference']} {inc['title']}", ""]
    version = snapshot.get("version")
    state = f"version {version}, published {snapshot.get('published_at')}" if version else "draft"
    lines += [
        f"- Severity: {inc['severity']}",
        f"- Services: {', '.join(inc['services']) or '—'}",
        f"- Commander: {inc['commander'] or '—'}",
        f"- Responders: {', '.join(inc['responders']) or '—'}",
        f"- Authors: {', '.join(snapshot.get('authors', [])) or '—'}",
        f"- Status: {state}",
        "",
        "## Durations",
        "",
        "| | |",
        "|---|---|",
    ]
    times = facts["times"]
    for label, key in (
        ("Started", "started_at"),
        ("Detected", "detected_at"),
        ("Acknowledged", "acknowledged_at"),
        ("Resolved", "resolved_at"),
    ):
        lines.append(f"| {label} | {_cell(times.get(key))} |")
    for d in facts["durations"]:
        lines.append(f"| {d['label']} | {d['text']} |")
    lines.append("")
    if facts.get("budget_impact"):
        lines += ["## Error-budget impact", ""]
        lines += [f"- {i['slo']}: {i['text']}" for i in facts["budget_impact"]]
        lines.append("")
    figures = snapshot.get("figures", {})
    for section in snapshot["sections"]:
        lines += [f"## {section['title']}", ""]
        if section["key"] == "impact":
            for label, key in (
                ("Users affected", "users_affected"),
                ("Failed requests", "failed_requests"),
                ("Revenue impact", "revenue_impact"),
            ):
                if figures.get(key) not in (None, ""):
                    unit = (
                        f" {figures.get('revenue_currency', '')}" if key == "revenue_impact" else ""
                    )
                    lines.append(f"- {label}: {figures[key]}{unit}")
            lines.append("")
        lines += [section["body"].strip() or "_Not written._", ""]
    lines += ["## Timeline", "", "Times in UTC.", ""]
    lines += [_timeline_item(e) for e in facts["timeline"]] or ["_No entries._"]
    lines += ["", "## Action items", ""]
    if snapshot.get("action_items"):
        lines += [
            "| Priority | Action | Kind | Owner | Due | Status |",
            "|---|---|---|---|---|---|",
        ]
        for a in snapshot["action_items"]:
            lines.append(
                f"| {a['priority']} | {_cell(a['title'])} | {a['kind']} | {_cell(a['owner'])} "
                f"| {_cell(a['due_on'])} | {a['status']} |"
            )
    else:
        lines.append("_None yet._")
    return "\n".join(lines).rstrip() + "\n"
