"""Lighthouse 12 on the demo's home, platform, diff and weekly pages: the four category scores of each.

Installs npm ``lighthouse@12.2.3`` once into a cache folder (``npm install --prefix``; Node 20 and npm are
needed), starts ``policywatch demo`` on a free loopback port (its own throw-away database, no network),
runs Lighthouse with ``CHROME_PATH`` (Debian's chromium by default) on each page, once as a phone (the
default: simulated slow 4G and a mid-range phone's CPU) and once as a desktop, and prints the table.
Targets: accessibility, best practices and SEO 100; performance at least 95. The exit status is 1 when a
score misses its target. Not part of the test command.

Run: .venv/bin/python benchmarks/lighthouse.py [--keep-reports DIR]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LIGHTHOUSE = "lighthouse@12.2.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "policywatch" / "lighthouse-12.2.3"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
ROOT = Path(__file__).resolve().parent.parent


def lighthouse_binary() -> Path:
    """The cached Lighthouse, installed with npm the first time."""
    binary = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing {LIGHTHOUSE} into {CACHE} ...", flush=True)
        npm = [
            "npm",
            "install",
            "--prefix",
            str(CACHE),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            LIGHTHOUSE,
        ]
        subprocess.run(npm, check=True)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_server() -> Iterator[tuple[str, str]]:
    """``policywatch demo`` on a free port in an empty folder (no .env read); yields base and diff URLs."""
    port = free_port()
    folder = tempfile.mkdtemp(prefix="policywatch-lighthouse-")
    environment = {
        **{
            name: value
            for name, value in os.environ.items()
            if name not in ("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN")
        },
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())", "demo"]
    demo = subprocess.Popen(
        command, cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert demo.stdout is not None
        diff_url = ""
        for line in demo.stdout:
            if "the diff page:" in line:
                diff_url = line.split("the diff page:", 1)[1].strip()
                break
        if not diff_url:
            raise RuntimeError(f"the demo stopped before serving (exit status {demo.wait()})")
        base = f"http://127.0.0.1:{port}"
        _wait_until_served(base)
        yield base, diff_url
    finally:
        demo.terminate()
        demo.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_served(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} does not answer")


def scores(binary: Path, url: str, desktop: bool, keep: Path | None, name: str) -> dict[str, int]:
    """The four category scores (0-100) of one Lighthouse run on ``url``."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            str(binary),
            url,
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--quiet",
            *(["--preset=desktop"] if desktop else []),
        ]
        subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME_PATH})
        data = json.loads(report.read_text())
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(report, keep / f"{name}-{'desktop' if desktop else 'phone'}.json")
    found = {category: round(data["categories"][category]["score"] * 100) for category in CATEGORIES}
    for category in CATEGORIES:
        if found[category] < TARGETS[category]:
            print(f"  {name}: {category} {found[category]}, what cost points:", flush=True)
            for audit in _failing_audits(data, category):
                print(f"    - {audit}", flush=True)
    return found


def _failing_audits(data: dict, category: str) -> list[str]:
    """The audits that lowered a category's score, with their score."""
    audits = data["audits"]
    failing = []
    for ref in data["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 1:
            failing.append(f"{ref['id']} ({audit['score']}): {audit.get('displayValue', audit['title'])}")
    return failing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep-reports", type=Path, help="copy each Lighthouse JSON report into this folder")
    args = parser.parse_args()
    binary = lighthouse_binary()
    rows = []
    with demo_server() as (base, diff_url):
        pages = {
            "home": base + "/",
            "platform": base + "/p/zeekr",
            "diff": diff_url,
            "weekly": base + "/weekly",
        }
        for desktop in (False, True):
            for name, url in pages.items():
                print(f"lighthouse {'desktop' if desktop else 'phone'}: {url}", flush=True)
                rows.append(
                    (
                        name,
                        "desktop" if desktop else "phone",
                        scores(binary, url, desktop, args.keep_reports, name),
                    )
                )
    print()
    print(f"| page | form factor | {' | '.join(CATEGORIES)} |")
    print(f"| --- | --- | {' | '.join('---' for _ in CATEGORIES)} |")
    for name, form, found in rows:
        print(f"| {name} | {form} | {' | '.join(str(found[category]) for category in CATEGORIES)} |")
    print(f"\ntargets: {', '.join(f'{category} >= {target}' for category, target in TARGETS.items())}")
    missed = [(name, form) for name, form, found in rows if any(found[c] < TARGETS[c] for c in CATEGORIES)]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
