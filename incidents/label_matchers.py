"""Label matchers for the alert lists, as Alertmanager writes them (pure; no Django).

`name=value`, `name!=value`, `name=~regex`, `name!~regex`. A regex matches the whole value
(Alertmanager anchors it), and a label an alert lacks counts as the empty string. Patterns
are short and limited to what Python's `re` and PostgreSQL's regular expressions read
alike, so a pattern either means the same in both or is refused with a message."""

from __future__ import annotations

import re
from dataclasses import dataclass

MATCHER_MAX = 300
"""Longest matcher accepted, name and operator included."""

OPERATORS = ("=~", "!~", "!=", "=")  # two-character operators first
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SYNTAX_TEXT = (
    "Write a label matcher as name=value, name!=value, name=~regex or name!~regex, "
    "e.g. service=checkout or service=~check.*"
)

# Escapes both engines read alike; anything else after a backslash is refused (\b is a word
# boundary in Python but a backspace in PostgreSQL, \1 a back-reference, and so on).
_SAFE_ESCAPES = set("dDsSwWtn") | set(r".\-[](){}|*+?^$/ ")
_GROUP_OPENERS = re.compile(r"\(\?(?!:)")  # any (?...) but a plain non-capturing group
_POSSESSIVE = re.compile(r"(?<!\\)[*+?}]\+")
_POSIX_CLASS = re.compile(r"(?<!\\)\[[:=.]")  # [[:alpha:]] is a class in PostgreSQL only
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
REPEAT_MAX = 255  # PostgreSQL's largest repetition count


class MatcherError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Matcher:
    name: str
    operator: str
    value: str

    @property
    def is_regex(self) -> bool:
        return self.operator in ("=~", "!~")

    @property
    def negative(self) -> bool:
        return self.operator in ("!=", "!~")

    @property
    def anchored(self) -> str:
        """The regex as both engines should run it: matching the whole value."""
        return f"^(?:{self.value})$"

    def matches(self, labels: dict[str, str]) -> bool:
        """The matcher's meaning, for one alert's labels (the database query says the same)."""
        found = labels.get(self.name, "")
        hit = re.fullmatch(self.value, found) is not None if self.is_regex else found == self.value
        return hit != self.negative

    def __str__(self) -> str:
        return f"{self.name}{self.operator}{self.value}"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` is not a regex Keel runs, or None."""
    index = 0
    while index < len(pattern):
        if pattern[index] == "\\":
            escaped = pattern[index + 1 : index + 2]
            if escaped not in _SAFE_ESCAPES:
                return f"The escape \\{escaped} is not supported in a label regex."
            index += 2
            continue
        index += 1
    if _GROUP_OPENERS.search(pattern):
        return "Only plain groups ( ) and (?: ) are supported in a label regex."
    if _POSSESSIVE.search(pattern):
        return "Possessive quantifiers (*+, ++, ?+) are not supported in a label regex."
    if _POSIX_CLASS.search(pattern):
        return "Classes such as [[:alpha:]] are not supported in a label regex; use [a-zA-Z]."
    if re.search(r"(?<!\\)\{,", pattern):  # x{,5}: 0 to 5 in Python, literal in PostgreSQL
        return "Write a repetition as {0,5}, not {,5}, in a label regex."
    for low, high in _REPEAT.findall(pattern):
        if int(low) > REPEAT_MAX or (high and int(high) > REPEAT_MAX):
            return f"A repetition count in a label regex may be at most {REPEAT_MAX}."
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    except RecursionError:
        return "The regular expression nests too deeply."
    return None


def parse_matcher(raw: str) -> Matcher:
    """The matcher written in `raw`, or MatcherError with a message for a person."""
    text = raw.strip()
    if len(text) > MATCHER_MAX:
        raise MatcherError(f"A label matcher may be at most {MATCHER_MAX} characters long.")
    if "\x00" in text:
        raise MatcherError("A label matcher may not contain the NUL character.")
    match = re.match(r"\s*([^=!~\s]*)\s*(=~|!~|!=|=)", text)
    if match is None or not LABEL_NAME.fullmatch(match.group(1)):
        raise MatcherError(SYNTAX_TEXT)
    name, operator = match.group(1), match.group(2)
    value = _unquote(text[match.end() :].strip())
    matcher = Matcher(name=name, operator=operator, value=value)
    if matcher.is_regex:
        problem = regex_problem(value)
        if problem is not None:
            raise MatcherError(problem)
    return matcher
