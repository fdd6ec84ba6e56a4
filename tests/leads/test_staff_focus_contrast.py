"""The focus ring stands out from every surface it is drawn on by at least 3:1 (WCAG 2.1
success criterion 1.4.11, non-text contrast), computed from the stylesheet itself."""

import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "leadbook.css"


def rules() -> dict[str, dict[str, str]]:
    """Each selector's declarations (rules inside @media blocks included, merged)."""
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    found: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = found.setdefault(selector.strip(), {})
        for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body):
            declarations[name] = value.strip()
    return found


def colour(value: str, root: dict[str, str]) -> str:
    """A #rrggbb value, following var(--x) through :root."""
    while match := re.fullmatch(r"var\((--[\w-]+)\)", value):
        value = root[match[1]]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), value
    return value


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcags_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    # The amber the ring used to be: too faint on white (WCAG's own calculator: 2.15).
    assert contrast("#f59e0b", "#ffffff") == pytest.approx(2.15, abs=0.01)


CSS = rules()
ROOT = CSS[":root"]
# The light surfaces focusable things sit on: the page, panels and inputs, and the tinted
# notices, messages and board columns that hold links and buttons.
LIGHT_SURFACES = ["--bg", "--panel", "#ffffff", "--brand-soft", "--warn-bg", "--ok-bg", "--err-bg"]
LIGHT_SURFACES.append(CSS[".column"]["background"])


@pytest.mark.parametrize("surface", LIGHT_SURFACES)
def test_the_focus_ring_is_at_least_3_to_1_on_every_light_surface(surface):
    ring = colour(ROOT["--focus"], ROOT)
    background = colour(f"var({surface})" if surface.startswith("--") else surface, ROOT)
    assert contrast(ring, background) >= 3, f"{ring} on {background}"


def test_the_focus_ring_on_the_dark_top_bar_is_at_least_3_to_1():
    topbar = CSS[".topbar"]
    ring = colour(topbar["--focus"], ROOT)
    background = colour(topbar["background"], ROOT)
    assert contrast(ring, background) >= 3, f"{ring} on {background}"
    # The skip link sits over the top bar but outside it, so it keeps the light ring.
    assert contrast(colour(ROOT["--focus"], ROOT), background) >= 3


def test_the_account_menu_inside_the_top_bar_gets_the_light_surface_ring_back():
    panel = CSS[".usermenu-panel"]
    assert colour(panel["background"], ROOT) == "#ffffff"
    assert colour(panel["--focus"], ROOT) == colour(ROOT["--focus"], ROOT)


def test_every_focus_outline_uses_the_checked_colour():
    outlines = [
        (selector, declarations["outline"])
        for selector, declarations in CSS.items()
        if "focus" in selector and declarations.get("outline", "none") != "none"
    ]
    assert outlines, "no focus outline found"
    for selector, outline in outlines:
        assert outline.endswith("var(--focus)"), f"{selector} draws its own colour: {outline}"
