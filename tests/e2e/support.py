"""What the browser journeys share: logging in, submitting forms, countdowns, axe-core, screenshots.

axe-core (tests/e2e/vendor/axe-core, from npm: fetch-axe-core.sh) is evaluated in the page through
the DevTools protocol, which the page's Content-Security-Policy does not govern, so the app's CSP
needs no exception for it. A page fails on a serious or critical finding; lesser ones are printed.
"""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
#: Screenshots of each journey's key page (ignored by git); listed at the end of the run (conftest.py).
SCREENSHOTS = HERE / "screenshots"
#: Impacts that fail a test; "moderate" and "minor" findings are printed, not failed.
BLOCKING = ("serious", "critical")

saved_screenshots: list[Path] = []


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/e2e/screenshots/ and report where."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    saved_screenshots.append(path)
    print(f"screenshot: {path}")
    return path


def check_accessibility(page, name: str) -> list[dict]:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    Returns the lesser (moderate, minor) violations, which are printed, so a test may look at them.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations = result["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    for v in violations:
        if v["impact"] not in BLOCKING:
            print(f"axe ({name}, {v['impact']}): {v['id']}: {v['help']} — {len(v['nodes'])} element(s)")
    assert not blocking, f"accessibility violations on {name} ({page.url}):\n" + "\n".join(
        _describe(v) for v in blocking)
    return violations


def _describe(violation: dict) -> str:
    nodes = "\n".join(f"      {n['target']}: {' '.join(n.get('failureSummary', '').split())}"
                      for n in violation["nodes"][:8])
    return f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})\n{nodes}"


_axe: str | None = None


def _axe_source() -> str:
    global _axe
    if _axe is None:
        _axe = AXE.read_text(encoding="utf-8")
    return _axe


def log_in(page, email: str, password: str) -> None:
    """Log in through the login form (the form is found by its fields, not by its wording)."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form:has(#password) [type=submit]").click()
    assert "/login" not in page.url, f"login failed for {email}: {page.locator('main').inner_text()[:300]}"


def submit(form) -> None:
    """Press a form's submit button and wait for the page it leads to."""
    with form.page.expect_navigation():
        form.locator("[type=submit]").click()


COUNTDOWN = re.compile(r"\d+:\d\d")


def assert_countdown(page, scope: str = "", ticks: bool = True) -> str:
    """A countdown is shown in `scope` and (ticks=True) moves on by itself (countdown.js); its first text."""
    timer = page.locator(f"{scope} .countdown[role=timer]".strip()).first
    timer.wait_for()
    first = timer.inner_text()
    assert COUNTDOWN.search(first), f"no time left shown in {first!r}"
    if ticks:  # the script moves it on every second
        page.wait_for_function("([el, text]) => el.textContent !== text", arg=[timer.element_handle(), first],
                               timeout=3000)
    return first

