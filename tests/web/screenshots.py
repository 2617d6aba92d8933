"""``make screenshots``: one PNG per workbench tab at 1366 px and at 400 px, each tab with a
result on screen, into a folder (default ``artifacts/screenshots``, gitignored).

Run: ``python tests/web/screenshots.py [OUT_DIR]`` (needs Chromium at /usr/bin/chromium).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1366, 400)
CHROMIUM = "/usr/bin/chromium"


def _serve(store: Path) -> tuple[Any, str]:
    import socket

    import uvicorn

    from detente.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store, rate_limit=None), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _act(page: Any, tab: str) -> None:
    """Put a result on the tab, as a user would."""
    if tab == "terms":
        page.fill("#draws", "200")
        page.fill("#thresholds", "territory<=60")
        page.click("#run-button")
        page.wait_for_selector("#terms-out .stored", timeout=120_000)
    elif tab == "timing":
        page.wait_for_selector("#talks-chart .main-svg", timeout=120_000)
        page.fill("#lever-threat", "2")
        page.wait_for_function(
            "() => document.querySelector('#levers-used')?.innerText.includes('threat 2.00')"
        )
    elif tab == "claims":
        page.fill("#claims-form input[name=draws]", "30")
        page.fill("#claims-form input[name=paths]", "50")
        page.click("#claims-button")
        page.wait_for_selector("#claims-table", timeout=120_000)
    elif tab == "uncertainty":
        page.fill("#sensitivity-n", "32")
        page.click("#sensitivity-button")
        page.wait_for_selector("#sensitivity-out .plot .main-svg", timeout=120_000)
    elif tab == "levers":
        page.fill("#whatif-text", "shift USA.position.territory -20")
        page.click("#whatif-button")
        page.wait_for_selector("#whatif-table", timeout=120_000)
        page.click("#sweep-button")
        page.wait_for_selector("#sweep-chart .main-svg", timeout=120_000)
        page.fill("#lever-form input[name=draws]", "50")
        page.click("#lever-button")
        page.wait_for_selector("#lever-answer", timeout=120_000)
    elif tab == "backtest":
        page.click("#backtest-button")
        page.wait_for_selector("#leaderboard", timeout=180_000)
    elif tab == "runs":
        page.wait_for_selector("#runs-table")
        page.locator("#runs-table .open-run").first.click()
        page.wait_for_selector("#run-detail h3")
        page.click("#compare-button")
        page.wait_for_selector("#compare-result")
    page.wait_for_timeout(400)


def main(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from detente.web.tabs import tabs

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        server, url = _serve(Path(tmp) / "runs.sqlite")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                for width in WIDTHS:
                    context = browser.new_context(viewport={"width": width, "height": 900})
                    context.set_default_timeout(60_000)
                    page = context.new_page()
                    page.goto(url + "/")
                    for tab in tabs():
                        page.click(f"#tabbtn-{tab.id}")
                        page.wait_for_selector(f"#tab-{tab.id}:not([hidden])")
                        _act(page, tab.id)
                        path = out / f"{tab.id}-{width}.png"
                        page.screenshot(path=str(path), full_page=True)
                        written.append(path)
                        print(path)
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "artifacts" / "screenshots")
