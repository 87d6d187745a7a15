"""The wheel (and so the Docker image) carries every file the web app reads: templates and the stylesheet."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import web

ROOT = Path(web.__file__).resolve().parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def test_every_template_and_static_file_is_package_data():
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["web"]
    files = [path.relative_to(ROOT).as_posix() for path in ROOT.rglob("*") if path.is_file()]
    data = [name for name in files if not name.endswith((".py", ".pyc"))]
    assert "static/site.css" in data
    assert [name for name in data if not any(fnmatch(name, pattern) for pattern in patterns)] == []
