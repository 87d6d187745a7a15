"""docker-compose.yml (read as YAML: no Docker here): one process by default, a `scale` profile beside it."""

import re
from pathlib import Path

import yaml

from app.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def roles_run(service: dict) -> str:
    """The role the service's command runs, as `policywatch run` parses it (the image runs plain `run`)."""
    command = service.get("command", ["policywatch", "run"])
    assert command[:2] == ["policywatch", "run"]
    return build_parser().parse_args(command[1:]).role


def test_plain_up_runs_one_process_for_everything_on_postgresql():
    default = {name for name, service in SERVICES.items() if "profiles" not in service}
    assert default == {"db", "app"}
    assert roles_run(SERVICES["app"]) == "all"
    assert SERVICES["app"]["ports"] == ["8080:8080"]
    assert SERVICES["app"]["environment"]["DATABASE_URL"].endswith("@db/policywatch")


def test_the_scale_profile_is_two_web_replicas_behind_caddy_and_one_worker_on_one_database():
    scale = {name for name, service in SERVICES.items() if "scale" in service.get("profiles", [])}
    assert scale == {"web", "worker", "proxy"}
    web, worker, proxy = SERVICES["web"], SERVICES["worker"], SERVICES["proxy"]
    assert (roles_run(web), web["deploy"]["replicas"], roles_run(worker)) == ("web", 2, "worker")
    database = SERVICES["app"]["environment"]["DATABASE_URL"]
    assert web["environment"]["DATABASE_URL"] == worker["environment"]["DATABASE_URL"] == database
    assert "ports" not in web and "ports" not in worker  # visitors come through the proxy only
    assert proxy["image"].startswith("caddy:") and proxy["ports"] == ["8080:80"]
    (mount,) = proxy["volumes"]
    caddyfile = (ROOT / mount.split(":")[0]).read_text(encoding="utf-8")
    upstream = re.search(r"dynamic a (\S+) (\d+)", caddyfile)
    assert upstream is not None and upstream.groups() == ("web", web["environment"]["WEB_PORT"])
