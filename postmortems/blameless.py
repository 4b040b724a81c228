"""Blameless language check: phrases that blame people, each with a reason and a better
way to say it. Suggestions only; nothing is ever blocked (pure)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    """A phrase found at text[start:end], why it reads as blame, and what to write instead."""

    start: int
    end: int
    phrase: str
    reason: str
    instead: str


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    reason: str
    instead: str


def _rule(pattern: str, reason: str, instead: str) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), reason, instead)


RULES: tuple[_Rule, ...] = (
    _rule(
        r"\b(?:human|operator|user|engineer|developer|manual)\s+(?:error|mistake|failure)s?\b",
        "“Human error” ends the inquiry where it should start: people act sensibly on what the "
        "system shows them.",
        "Describe what the system allowed or made easy (e.g. “the deploy tool accepted an "
        "invalid config”).",
    ),
    _rule(
        r"\b[\w\u2019'-]+[\u2019']s\s+fault\b|\bfault\s+of\s+\w+",
        "Assigning fault to a person makes the next responder less likely to speak up.",
        "Name the condition that made the failure possible.",
    ),
    _rule(
        r"\bshould\s*(?:have|'ve|\u2019ve)\s+(?:known|noticed|checked|caught|seen|realized|realised)\b",
        "Hindsight: what is obvious now was not obvious with the information available then.",
        "Say what information was missing or hard to find at the time.",
    ),
    _rule(
        r"\b(?:failed|forgot|neglected)\s+to\b",
        "Frames an outcome as a personal lapse.",
        "Describe the gap in the process or tooling (e.g. “the checklist had no step for …”).",
    ),
    _rule(
        r"\b(?:careless(?:ly|ness)?|negligen(?:t|ce)|sloppy|incompeten(?:t|ce)|lazy|stupid)\b",
        "Judges a person instead of describing an event.",
        "Describe what happened and what made it likely.",
    ),
    _rule(
        r"\b(?:blame[sd]?|to\s+blame|culprit|responsible\s+for\s+(?:the\s+)?(?:outage|incident|failure))\b",
        "Blame words look for a person instead of a cause.",
        "Describe the contributing factors.",
    ),
    _rule(
        r"\b(?:just|simply)\s+(?:had\s+to|needed\s+to|should)\b",
        "“Just” and “simply” hide how hard the right action was at the time.",
        "Say what made the right action difficult.",
    ),
)

# A person named as the subject of a failure: "Bob broke ...", "@alice deleted ...".
_FAILURE_VERBS = (
    r"broke|caused|crashed|deleted|dropped|messed\s+up|screwed\s+up|misconfigured|"
    r"botched|ignored|overlooked|missed|forgot|pushed\s+a\s+bad|took\s+down"
)
_NAMED_SUBJECT = re.compile(
    rf"(?:(?:(?<=^)|(?<=[.!?]\s)|(?<=\n))\s*([A-Z][a-z]+)|(@[\w.-]+))\s+(?:{_FAILURE_VERBS})\b"
)
_NOT_NAMES = {
    "The", "This", "That", "It", "We", "They", "A", "An", "Our", "Their", "Its", "One",
    "Nobody", "Someone", "Everyone", "Deploy", "Config", "Traffic", "Load", "Redis", "Postgres",
    "Kubernetes", "Prometheus", "Alertmanager", "Nginx", "Service", "Database", "Cache",
}  # fmt: skip


def check(text: str, *, names: Iterable[str] = ()) -> list[Suggestion]:
    """Suggestions for `text`, in order of position. `names` are people's names or
    usernames (e.g. the responders) to look for as the subject of a failure."""
    found: list[Suggestion] = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            found.append(Suggestion(m.start(), m.end(), m.group(0), rule.reason, rule.instead))
    known = {n.strip().lower() for n in names if n and n.strip()}
    subject_reason = "Names a person as the subject of a failure; the reader learns who, not why."
    subject_instead = "Make the system the subject (e.g. “the migration locked the table”)."
    for m in _NAMED_SUBJECT.finditer(text):
        group = 1 if m.group(1) else 2
        name = m.group(group)
        bare = name.lstrip("@")
        if name.startswith("@") or bare.lower() in known or (bare not in _NOT_NAMES):
            start = m.start(group)
            found.append(
                Suggestion(start, m.end(), text[start : m.end()], subject_reason, subject_instead)
            )
    if known:
        verbs = re.compile(
            r"\b("
            + "|".join(re.escape(n) for n in sorted(known, key=len, reverse=True))
            + rf")\s+(?:{_FAILURE_VERBS})\b",
            re.IGNORECASE,
        )
        for m in verbs.finditer(text):
            if not any(s.start <= m.start() < s.end for s in found):
                found.append(
                    Suggestion(m.start(), m.end(), m.group(0), subject_reason, subject_instead)
                )
    found.sort(key=lambda s: (s.start, s.end))
    unique: list[Suggestion] = []
    for s in found:
        if not unique or (s.start, s.end) != (unique[-1].start, unique[-1].end):
            unique.append(s)
    return unique
