"""What the browser tests share: where Chromium is and how a failing step's page is kept."""

import os
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def save_screenshot(request, tab) -> Path:
    """Save the tab's whole page as keel-<test name>.png in KEEL_SCREENSHOT_DIR (or the
    temporary directory) and say where."""
    folder = Path(os.environ.get("KEEL_SCREENSHOT_DIR") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"keel-{request.node.name}.png"
    tab.screenshot(path=str(shot), full_page=True)
    print(f"screenshot saved to {shot}")
    return shot
