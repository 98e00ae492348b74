"""The GitHub client's books, against the fake GitHub: each client counts the answers to its own
requests (from the transport, so clients in one process, in threads too, count apart), a 304
and a refusal for the primary limit spend no unit, and a GitHub App's installation-token
requests count as well."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

from bot.forge.github.client import Credentials, GitHubApi
from tests.fakes.github import FakeGitHub, FaultKind, app_private_key


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path, files={"README.md": "# widgets\n"}) as fake:
        yield fake


@pytest.fixture(autouse=True)
def instant_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def api(fake: FakeGitHub, credentials: Credentials | None = None) -> GitHubApi:
    return GitHubApi(fake.url, credentials or Credentials(token=fake.app_token), write_interval=0)


def test_clients_in_threads_count_only_their_own_requests(github: FakeGitHub) -> None:
    github.add_issue("One")
    clients = {reads: api(github) for reads in (3, 7)}
    path = f"/repos/{github.full_name}/issues"

    def read(client: GitHubApi, times: int) -> None:
        for _ in range(times):
            client.get_json(path)

    threads = [threading.Thread(target=read, args=(c, n)) for n, c in clients.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients.values():
        client.close()

    for reads, client in clients.items():
        # the first read spends a unit; the others are conditional and answered 304
        assert (client.stats.requests, client.stats.units) == (reads, 1)
        assert client.stats.not_modified == reads - 1
        assert client.stats.by_route == {f"GET {path}": reads}
        assert client.stats.writes == 0
    assert len(github.requests) == 10
    assert github.units == 2


def test_refusals_and_failures_are_counted_as_github_counts_them(github: FakeGitHub) -> None:
    number = github.add_issue("One")
    client = api(github)
    github.fail_next(FaultKind.SERVER_ERROR, method="GET", path="/repos/*/issues/*")
    github.fail_next(FaultKind.PRIMARY_RATE_LIMIT, method="POST", path="/repos/*/comments")
    github.fail_next(FaultKind.SECONDARY_RATE_LIMIT, method="POST", path="/repos/*/comments")
    try:
        client.get_json(f"/repos/{github.full_name}/issues/{number}")
        client.send("POST", f"/repos/{github.full_name}/issues/{number}/comments", {"body": "x"})
    finally:
        client.close()

    assert [r.status for r in github.requests] == [500, 200, 403, 403, 201]
    assert client.stats.requests == 5
    assert client.stats.units == github.units == 4  # the primary limit's refusal is free
    assert client.stats.writes == 3
    assert client.stats.remaining is not None


def test_an_app_installation_counts_its_token_requests(github: FakeGitHub) -> None:
    pem = app_private_key()
    client = api(
        github,
        Credentials(
            app_id=str(github.app_id), private_key=pem, installation_id=github.installation_id
        ),
    )
    try:
        assert client.git_token()
        client.get_json(f"/repos/{github.full_name}")
    finally:
        client.close()

    assert [(r.method, r.status) for r in github.requests] == [("POST", 201), ("GET", 200)]
    assert (client.stats.requests, client.stats.writes) == (2, 1)


def test_pygithubs_own_warnings_still_reach_the_log(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    client = api(github)
    try:
        client.get_json(f"/repos/{github.full_name}")
        logging.getLogger("github.Requester").warning("a notice from PyGithub")
    finally:
        client.close()
    assert "a notice from PyGithub" in caplog.messages
    assert client.stats.requests == 1
