"""The README's set-up commands, CI's script and the app's safe defaults agree with each other.

A new user types the README's two commands verbatim on a fresh clone with nothing activated (Debian's
own Python refuses a bare `pip install`: PEP 668), and CI runs exactly the test command.
"""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def setup_commands() -> dict[str, str]:
    """The indented commands under 'Run the app ...' and 'Run the tests:' in the set-up section."""
    section = README.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^ {4}(\S.*)$", section, flags=re.M)
    app = [c for c in commands if "streamlit run app.py" in c]
    tests = [c for c in commands if "pytest" in c]
    assert len(app) == 1 and len(tests) == 1, commands
    return {"app": app[0], "tests": tests[0]}


def test_readme_commands_make_and_use_a_virtual_environment():
    commands = setup_commands()
    assert commands["app"] == ("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && "
                               ".venv/bin/streamlit run app.py")
    assert commands["tests"] == ("python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt && "
                                 ".venv/bin/python -m pytest")
    for command in commands.values():  # nothing runs from outside the environment but `python3 -m venv`
        for step in command.split(" && ")[1:]:
            assert step.startswith(".venv/bin/"), step


def test_ci_runs_exactly_the_readme_test_command():
    lines = [line.strip() for line in CI.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] == setup_commands()["tests"]


def test_ci_installs_the_system_tools_the_tests_use():
    for tool, package in (("chromium", "chromium"), ("soffice", "libreoffice-calc-nogui"),
                          ("pdftotext", "poppler-utils")):
        assert f"command -v {tool} >/dev/null 2>&1 || need_apt+=({package})" in CI
    assert "apt-get install" in CI


def test_the_virtual_environment_is_ignored_by_git_and_pytest():
    assert ".venv/" in (ROOT / ".gitignore").read_text().splitlines()
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests", "sbb"]  # collection never starts at the root, where .venv is


def test_app_listens_on_this_machine_only_and_every_setting_is_a_streamlit_option():
    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["address"] == "localhost"
    assert settings["browser"]["gatherUsageStats"] is False
    known = set(config._config_options_template)  # a misspelt option would be ignored silently
    for section, values in settings.items():
        for key in values:
            assert f"{section}.{key}" in known, f"{section}.{key}"


def test_readme_network_command_uses_real_streamlit_options():
    """The deliberate network set-up in the README names options the installed Streamlit knows
    (a misspelt one would make Streamlit refuse to start, or be ignored)."""
    from streamlit import config

    command = next(line.strip() for line in README.splitlines() if "--server.address 0.0.0.0" in line)
    options = re.findall(r"--([a-z]+\.[A-Za-z]+)", command)
    assert options == ["server.address", "browser.serverAddress"]
    assert set(options) <= set(config._config_options_template)
