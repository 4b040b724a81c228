"""The stylesheet's badge colours are readable: WCAG contrast of at least 4.5:1, computed
from the values in static/keel/keel.css (so a colour change that breaks it fails here)."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "keel" / "keel.css"
MINIMUM = 4.5


def _rules(css: str) -> dict[str, dict[str, str]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^}]*\})*)\s*\}", "", css)  # base styles only
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.strip()
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


def _colour(value: str, variables: dict[str, str]) -> tuple[int, int, int]:
    value = value.strip()
    while value.startswith("var("):
        value = variables[value[4:-1].strip()]
    found = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    assert found, f"not a hex colour: {value!r}"
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


RGB = tuple[int, int, int]


def _badges() -> list[tuple[str, RGB, RGB]]:
    """Every badge variant as (name, text colour, background), as the cascade combines them."""
    rules = _rules(CSS.read_text())
    variables = {k: v for k, v in rules[":root"].items() if k.startswith("--")}
    base = rules[".badge"]
    severity_text = rules[".badge.sev"]["color"]
    found = [(".badge", base["color"], base["background"])]
    for selector, declarations in rules.items():
        if re.fullmatch(r"\.sev-sev\d", selector):
            found.append((selector, severity_text, declarations["background"]))
        elif re.fullmatch(r"\.badge\.[\w-]+", selector) and selector != ".badge.sev":
            found.append(
                (
                    selector,
                    declarations.get("color", base["color"]),
                    declarations.get("background", base["background"]),
                )
            )
    return [
        (name, _colour(text, variables), _colour(background, variables))
        for name, text, background in found
    ]


def test_the_contrast_formula_matches_known_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_every_badge_colour_pair_has_at_least_4_5_to_1():
    badges = _badges()
    names = {name for name, _, _ in badges}
    # severities, statuses, alert states: the stylesheet still defines them all
    assert {".sev-sev1", ".sev-sev2", ".sev-sev3", ".sev-sev4"} <= names
    assert {".badge.status-investigating", ".badge.status-closed", ".badge.firing"} <= names
    assert {".badge.warn", ".badge.resolved"} <= names
    too_faint = []
    for name, text, background in badges:
        ratio = contrast(text, background)
        if ratio < MINIMUM:
            too_faint.append((name, round(ratio, 2)))
    assert too_faint == []
