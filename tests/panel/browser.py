"""A live panel (uvicorn on 127.0.0.1 in a thread) and the distribution's headless Chromium.

Nothing is downloaded: Selenium gets the system chromedriver's path, and SE_OFFLINE keeps
Selenium Manager from reaching the network."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from bot.app import App
from bot.web import build_web

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (test extra)"
    if not any(shutil.which(n) for n in CHROMIUM_NAMES):
        return "no chromium on PATH (apt-get install chromium chromium-driver)"
    if not any(shutil.which(n) for n in DRIVER_NAMES):
        return "no chromedriver on PATH (apt-get install chromium-driver)"
    return None


@contextmanager
def live_server(app: App) -> Iterator[str]:
    """The app's web server on a free loopback port; yields its base URL."""
    config = uvicorn.Config(
        build_web(app), host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the panel's server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium(downloads: Path, width: int = 1200, height: int = 900) -> Iterator[Any]:
    """Headless Chromium from the system packages, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = next(p for n in CHROMIUM_NAMES if (p := shutil.which(n)))
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--window-size={width},{height}",
        "--lang=es-PE",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver_path = next(p for n in DRIVER_NAMES if (p := shutil.which(n)))
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
