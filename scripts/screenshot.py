"""Take the README's picture of the servers page from the running app.

    .venv/bin/python scripts/screenshot.py                # start a throwaway demo, shoot, stop it
    .venv/bin/python scripts/screenshot.py --url http://127.0.0.1:8000 --username demo --password …

Without --url it runs `migrate` and `seed_demo` in a temporary data directory, serves the app with
`runserver` on a free 127.0.0.1 port (DEBUG on, the built-in sandbox behind the demo account), signs
in as the demo user with Debian's Chromium and saves docs/screenshots/servers.png (with --readme:
the README's set, desktop, phone, dark and a server page). Nothing it starts
outlives it, and your own data directory is never touched.
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from wait_for_url import wait_for  # this folder's, first on the path when a script runs

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DEFAULT_OUT = REPO / "docs" / "screenshots" / "servers.png"
# Variables that would point the throwaway demo at someone's real database, cache or settings.
INHERITED_AWAY = (
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_URL",
    "DJANGO_SETTINGS_MODULE",
    "CATCPANEL_FERNET_KEYS",
    "SECRET_KEY",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> str:
    run = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{run.stdout}{run.stderr}")
    return run.stdout


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    if not wait_for(url + "/healthz", seconds, worth_waiting=lambda: server.poll() is None):
        if server.poll() is not None:
            sys.exit(f"runserver exited with code {server.returncode}")
        sys.exit(f"runserver did not answer at {url} within {seconds:.0f} s")


@contextlib.contextmanager
def demo_server():
    """Yield (url, username, password) of a demo app served from a temporary data directory."""
    data_dir = tempfile.mkdtemp(prefix="catcpanel-screenshot-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_AWAY}
    env.update(
        DEBUG="true",
        CATCPANEL_SANDBOX="true",
        CATCPANEL_DATA_DIR=data_dir,
        SITE_URL=url,
        LOG_LEVEL="WARNING",
    )
    server = None
    try:
        manage("migrate", "--no-input", env=env)
        demo = json.loads(manage("seed_demo", "--json", env=env).strip().splitlines()[-1])
        server = subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(url, server)
        yield url, demo["username"], demo["password"]
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


# The README's pictures: (file name, width, height, dark, what) where "what" is the servers page
# or the first server's page.
README_SET = (
    ("servers.png", 1280, 800, False, "servers"),
    ("servers-phone.png", 390, 844, False, "servers"),
    ("servers-dark.png", 1280, 800, True, "servers"),
    ("server.png", 1280, 900, False, "server"),
)


def shoot(url: str, username: str, password: str, shots) -> list[Path]:
    """Sign in once per shot's context and save each picture; return the files written."""
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            for out, width, height, dark, what in shots:
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    color_scheme="dark" if dark else "light",
                    timezone_id="UTC",
                )
                page = context.new_page()
                sign_in(page, url, username, password)
                if what == "server":
                    page.locator(".server-link").first.click()
                    page.locator("h1#server-name").wait_for(timeout=15_000)
                page.mouse.move(0, 0)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=what == "servers", animations="disabled")
                saved.append(out)
                context.close()
        finally:
            browser.close()
    return saved


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(url + "/auth/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(url + "/")
    # Load the page afresh: the "signed in" toast would cover part of the picture.
    page.goto(url + "/")
    # Each account's servers arrive by htmx after the page: wait for them, not a clock.
    with contextlib.suppress(Exception):
        page.locator("[data-testid=server-row]").first.wait_for(timeout=15_000)
    with contextlib.suppress(Exception):
        page.get_by_text("Loading…").first.wait_for(state="hidden", timeout=15_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an app that is already running (else a demo is started)")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", help="required with --url")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--dark", action="store_true", help="the dark theme")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="the README's set (desktop, phone, dark, server page) into docs/screenshots/",
    )
    args = parser.parse_args()

    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium).")
    if args.readme:
        shots = [(DEFAULT_OUT.parent / name, *rest) for name, *rest in README_SET]
    else:
        shots = [(args.out, args.width, 800, args.dark, "servers")]
    if args.url:
        if not args.password:
            parser.error("--password is required with --url")
        saved = shoot(args.url.rstrip("/"), args.username, args.password, shots)
    else:
        with demo_server() as (url, username, password):
            saved = shoot(url, username, password, shots)
    for path in saved:
        print(f"saved {path}")


if __name__ == "__main__":
    main()
