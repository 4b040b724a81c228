"""The sections of a postmortem, in document order, with their default prompts (pure)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    prompt: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "summary",
        "Summary",
        "What happened, in two or three sentences a reader outside the team understands.",
    ),
    Section("impact", "Impact", "Who and what was affected, for how long, and how badly."),
    Section("trigger", "Trigger", "The change or event that set the incident off."),
    Section(
        "root_cause",
        "Root cause",
        "Why the trigger could cause the failure: the conditions in the system.",
    ),
    Section(
        "contributing_factors",
        "Contributing factors",
        "What made it worse, longer or harder to see.",
    ),
    Section("detection", "Detection", "How we found out, and how we could have found out sooner."),
    Section("response", "Response", "What the responders did, and what helped or slowed them."),
    Section("recovery", "Recovery", "How service was restored, and how we knew it was."),
    Section("went_well", "What went well", "Practices and tools that helped; keep doing these."),
    Section("went_wrong", "What went wrong", "What hindered detection, response or recovery."),
    Section("got_lucky", "Where we got lucky", "What could have made it worse but did not."),
    Section("lessons", "Lessons learned", "What we now know about the system and how we work."),
)

SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
SECTION_TITLES: dict[str, str] = {s.key: s.title for s in SECTIONS}


def default_template() -> dict[str, str]:
    """The starting text of each section of a new postmortem (admins can change it); empty,
    so the editor shows each section's prompt."""
    return {s.key: "" for s in SECTIONS}
