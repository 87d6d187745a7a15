"""The README documents every command, flag and setting the program has."""

from pathlib import Path

from app.cli import build_parser
from app.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    for name in Settings.model_fields:
        assert f"| `{name}` |" in README, name


def test_every_command_and_flag_is_documented():
    parser = build_parser()
    (commands,) = [action for action in parser._actions if action.dest == "command"]
    for name, command in commands.choices.items():
        rows = [line for line in README.splitlines() if line.startswith(f"| `policywatch {name}")]
        assert len(rows) == 1, name
        for action in command._actions:
            for flag in set(action.option_strings) - {"-h", "--help"}:
                assert flag in rows[0].split("|")[1], (name, flag)


def test_the_two_commands_are_the_ones_ci_runs():
    assert "bash scripts/dev run" in README and "bash scripts/dev test" in README
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "bash scripts/dev test" in ci


def test_every_setting_is_in_the_env_example():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"{name}=" in example, name
