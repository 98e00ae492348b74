"""`.github/baton.yml`: defaults when absent, and errors that name the key path, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, check_config, load_config
from bot.errors import ConfigError, Problem


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baton.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    config, problems = check_config(write(tmp_path, text))
    assert config is None
    assert problems
    return problems


def where(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.field, p.line) for p in problems]


def test_absent_file_means_every_default(tmp_path: Path) -> None:
    config, problems = check_config(tmp_path / "missing.yml")
    assert (config, problems) == (Config(), [])
    assert config is not None
    assert config.agent.kind == "claude"
    assert config.tickets_dir == "tickets"
    assert config.labels.trigger == "ready-for-agent"
    assert config.validation.max_corrections == 2
    assert config.branches.prefix == "baton/"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file_means_every_default(tmp_path: Path, text: str) -> None:
    assert check_config(write(tmp_path, text)) == (Config(), [])


def test_settings_are_read(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "agent:\n  kind: codex\n  timeout_minutes: 5\nvalidation:\n  test_command: make test\n"
            "notify:\n  slack:\n    channel: '#builds'\ntrust:\n  allowed_bots: [renovate]\n",
        )
    )
    assert config.agent.kind == "codex"
    assert config.agent.timeout_minutes == 5
    assert config.validation.test_command == "make test"
    assert config.notify.slack.channel == "#builds"
    assert config.trust.allowed_bots == ["renovate"]
    assert config.labels == Config().labels


@pytest.mark.parametrize(
    ("text", "key", "line", "near"),
    [
        ("tickets_dri: t\n", "tickets_dri", 1, "tickets_dir"),
        ("version: 1\nagent:\n  kind: claude\n  modle: x\n", "agent.modle", 4, "model"),
        ("validation:\n  max_correction: 3\n", "validation.max_correction", 2, "max_corrections"),
        ("notify:\n  slack:\n    chanel: '#x'\n", "notify.slack.chanel", 3, "channel"),
        ("labels:\n  runing: r\n", "labels.runing", 2, "running"),
    ],
)
def test_unknown_key_names_the_dotted_path_line_and_near_miss(
    tmp_path: Path, text: str, key: str, line: int, near: str
) -> None:
    problems = problems_of(tmp_path, text)
    assert where(problems) == [(key, line)]
    assert problems[0].message == f"unknown key; did you mean `{near}`?"


def test_unknown_key_without_near_miss_lists_the_known_keys(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "notify:\n  email: me@example.com\n")
    assert where(problems) == [("notify.email", 2)]
    assert problems[0].message == "unknown key (known: slack)"


def test_every_unknown_key_is_reported(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "agnet: {}\nbranches:\n  prefx: b/\n")
    assert where(problems) == [("agnet", 1), ("branches.prefx", 3)]


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("agent: claude\n", "agent", 1),
        ("agent:\n  kind: copilot\n", "agent.kind", 2),
        ("agent:\n  timeout_minutes: -1\n", "agent.timeout_minutes", 2),
        ("validation:\n  max_corrections: two\n", "validation.max_corrections", 2),
        ("validation:\n  max_corrections: 11\n", "validation.max_corrections", 2),
        ("labels:\n  trigger: 5\n", "labels.trigger", 2),
        ("trust:\n  allowed_bots: renovate\n", "trust.allowed_bots", 2),
        ("version: 2\n", "version", 1),
        ("validation:\n  junit: ../junit.xml\n", "validation.junit", 2),
        ("validation:\n  evidence:\n    min_kill: 2\n", "validation.evidence.min_kill", 3),
        (
            "validation:\n  evidence:\n    tests_command: pytest\n",
            "validation.evidence.tests_command",
            3,
        ),
        ("validation:\n  evidence:\n    command: stryker run\n", "validation.evidence", 2),
    ],
)
def test_wrong_types_and_values_name_the_key_and_line(
    tmp_path: Path, text: str, key: str, line: int
) -> None:
    assert where(problems_of(tmp_path, text)) == [(key, line)]


def test_agent_env_lists_variable_names_for_the_agent(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "agent:\n  env: [PIP_INDEX_URL, MY_SETTING]\n"))
    assert config.agent.env == ["PIP_INDEX_URL", "MY_SETTING"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("GITHUB_TOKEN", "GITHUB_TOKEN is Baton's own credential; an agent never gets it"),
        ("BATON_SLACK_API_URL", "BATON_SLACK_API_URL is Baton's own credential"),
        ("'MY SETTING'", "'MY SETTING' is not an environment variable name"),
    ],
)
def test_agent_env_cannot_hand_over_batons_credentials(
    tmp_path: Path, name: str, message: str
) -> None:
    [problem] = problems_of(tmp_path, f"agent:\n  env:\n    - {name}\n")
    assert (problem.field, problem.line) == ("agent.env[0]", 3)
    assert message in problem.message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert where(problems_of(tmp_path, "- agent\n")) == [("(top)", 1)]


@pytest.mark.parametrize(
    ("text", "line"),
    [("agent:\n  kind: [claude\n", 3), ("agent:\n  kind: claude\n kind: codex\n", 3)],
)
def test_invalid_yaml_names_the_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    problems = problems_of(tmp_path, text)
    assert [(p.source, p.field, p.line) for p in problems] == [
        (str(tmp_path / "baton.yml"), "yaml", line)
    ]


def test_key_written_twice_is_an_error(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "agent:\n  kind: claude\n  kind: codex\n")
    assert where(problems) == [("agent.kind", 3)]
    assert "written twice (lines 2 and 3)" in problems[0].message


def test_load_config_raises_config_error_with_the_first_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "agnet: {}\nlabels: {runing: r}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:1: error: agnet: unknown key; did you mean `agent`?")
    assert "(and 1 more; run `baton config check`)" in message


def test_config_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        Config().tickets_dir = "x"  # type: ignore[misc]


def test_plan_bounds_the_files_of_a_ticket(tmp_path: Path) -> None:
    assert Config().plan.max_files_per_ticket == 10
    config, problems = check_config(write(tmp_path, "plan:\n  max_files_per_ticket: 4\n"))
    assert problems == []
    assert config is not None
    assert config.plan.max_files_per_ticket == 4
    assert where(problems_of(tmp_path, "plan:\n  max_files_per_ticket: 0\n")) == [
        ("plan.max_files_per_ticket", 2)
    ]
