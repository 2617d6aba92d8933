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
DEU_SMALL = ROOT / "tests" / "fixtures" / "deu_tab_small.csv"  # synthetic DEU rows (a fixture)
LEDGER = Path(tempfile.gettempdir()) / "detente-screenshots-ledger.jsonl"


def _ledger() -> None:
    """A small made-up ledger for the Runs tab's ledger panel: eight resolved forecasts."""
    from detente.api import ledger as led

    LEDGER.unlink(missing_ok=True)
    for i, (p, y) in enumerate(
        [(0.1, 0), (0.2, 0), (0.3, 1), (0.4, 0), (0.6, 1), (0.7, 1), (0.8, 0), (0.9, 1), (0.5, 0)]
    ):
        e = led.add(
            f"Made-up question {i + 1}?",
            led.probability_forecast(p),
            resolves_by="2027-01-01",
            ledger_file=LEDGER,
        )
        if i < 8:
            led.resolve(e["seq"], bool(y), ledger_file=LEDGER)


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
        page.fill("#claims-form input[name=paths]", "150")
        page.click("#claims-button")
        page.wait_for_selector("#claims-table", timeout=120_000)
    elif tab == "uncertainty":
        page.fill("#sensitivity-n", "32")
        page.click("#sensitivity-button")
        page.wait_for_selector("#sensitivity-out .plot .main-svg", timeout=120_000)
        page.fill("#discover-form input[name=draws]", "100")
        page.click("#discover-button")
        page.wait_for_selector("#discover-chart .main-svg", timeout=120_000)
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
        page.fill("#deu-path", str(DEU_SMALL))
        page.fill("#deu-form input[name=reps]", "200")
        page.click("#deu-button")
        page.wait_for_selector("#deu-chart .main-svg", timeout=180_000)
    elif tab == "runs":
        page.wait_for_selector("#runs-table")
        page.locator("#runs-table .open-run").first.click()
        page.wait_for_selector("#run-detail h3")
        page.click("#compare-button")
        page.wait_for_selector("#compare-result")
        page.click("#ledger-panel summary")
        page.fill("#ledger-path", str(LEDGER))
        page.click("#ledger-button")
        page.wait_for_selector("#ledger-chart .main-svg", timeout=60_000)
    page.wait_for_timeout(400)


def main(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from detente.web.tabs import tabs

    out.mkdir(parents=True, exist_ok=True)
    _ledger()
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
