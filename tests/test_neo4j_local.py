"""The local Neo4j, for real: Bolt round trip, the CLI, the auth switch, clean stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import neo4j
import pytest
from conftest import TEST_PORT
from neo4j import Driver, GraphDatabase

from core import neo4j_local
from core.settings import Settings

AUTH_PORT = int(os.environ.get("RIGHTSGRAPH_TEST_NEO4J_AUTH_PORT") or TEST_PORT + 1)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `rightsgraph ...` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "rightsgraph.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def launcher_pids(data: Path) -> list[int]:
    """Pids of launcher JVMs that serve the data folder `data`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if neo4j_local.MAIN_CLASS.encode() in cmdline and str(data).encode() in cmdline:
            pids.append(int(proc.name))
    return pids


def test_write_and_read_a_node(neo4j_db: Driver, settings: Settings) -> None:
    neo4j_db.execute_query(
        "CREATE (:Probe {name: $name, n: 42})", name="bolt", database_=settings.neo4j_database
    )
    records, _, _ = neo4j_db.execute_query(
        "MATCH (p:Probe) RETURN p.name AS name, p.n AS n", database_=settings.neo4j_database
    )
    assert [(r["name"], r["n"]) for r in records] == [("bolt", 42)]


def test_each_test_starts_empty(neo4j_db: Driver, settings: Settings) -> None:
    records, _, _ = neo4j_db.execute_query(
        "MATCH (n) WHERE NOT n:RgSystem RETURN count(n) AS c",  # the API's own data stays
        database_=settings.neo4j_database,
    )
    assert records[0]["c"] == 0


def test_local_server_is_neo4j_5_26(driver: Driver, settings: Settings) -> None:
    if settings.external:
        pytest.skip("NEO4J_URI is set: not our server")
    records, _, _ = driver.execute_query("CALL dbms.components() YIELD versions RETURN versions")
    assert records[0]["versions"][0].startswith("5.26.")


def test_status_exits_zero_when_up(neo4j_server: Settings) -> None:
    done = cli("neo4j", "status")
    assert done.returncode == 0, done.stderr
    assert "up" in done.stdout


def test_start_when_running_says_so(neo4j_server: Settings) -> None:
    if neo4j_server.external:
        pytest.skip("NEO4J_URI is set: no local server to start")
    done = cli("neo4j", "start")
    assert done.returncode == 0, done.stderr
    assert "already running" in done.stdout


def test_port_taken_by_another_program_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        settings = Settings(home=tmp_path, neo4j_port=port, neo4j_uri_env=None)
        with pytest.raises(neo4j_local.LocalNeo4jError, match="already in use"):
            neo4j_local.start(settings)


def test_short_password_is_refused_before_starting(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, neo4j_port=AUTH_PORT, neo4j_uri_env=None)
    with pytest.raises(neo4j_local.LocalNeo4jError, match="8 characters"):
        neo4j_local.start(settings, auth_password="short")


def test_auth_switch_and_clean_stop(tmp_path: Path) -> None:
    """A second server with --auth: right password in, wrong password out, then a clean stop."""
    settings = Settings(home=tmp_path, neo4j_port=AUTH_PORT, neo4j_uri_env=None)
    env = {**os.environ, "RIGHTSGRAPH_HOME": str(tmp_path), "RIGHTSGRAPH_NEO4J_PORT": ""}
    env.pop("NEO4J_URI", None)
    env.pop("NEO4J_PASSWORD", None)
    port = ["--port", str(AUTH_PORT)]
    try:
        done = cli("neo4j", "start", *port, "--auth", "secret-pw", env=env)
        assert done.returncode == 0, done.stderr
        assert "auth on" in done.stdout
        pid = neo4j_local.running_pid(settings)
        assert pid is not None

        with GraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", "secret-pw")) as drv:
            records, _, _ = drv.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
        with (
            GraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", "wrong-pw")) as drv,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            drv.verify_connectivity()
        with (
            GraphDatabase.driver(settings.neo4j_uri, auth=None) as drv,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            drv.verify_connectivity()

        done = cli("neo4j", "stop", *port, env=env)
        assert done.returncode == 0, done.stderr
        assert "stopped" in done.stdout
        assert not neo4j_local.pid_file(settings).exists()
        assert launcher_pids(neo4j_local.data_dir(settings)) == []
        assert not neo4j_local.port_in_use(AUTH_PORT)

        done = cli("neo4j", "status", *port, env=env)
        assert done.returncode != 0
        assert "No local Neo4j" in done.stderr
    finally:
        for leftover in launcher_pids(neo4j_local.data_dir(settings)):
            os.kill(leftover, 9)


def test_kill_then_start_recovers_committed_data(tmp_path: Path) -> None:
    """SIGKILL (no clean shutdown), then start again: committed data is still there."""
    settings = Settings(home=tmp_path, neo4j_port=AUTH_PORT, neo4j_uri_env=None)
    try:
        neo4j_local.start(settings, no_auth=True)
        with GraphDatabase.driver(settings.neo4j_uri) as drv:
            drv.execute_query("CREATE (:Durable {v: 1})")
        assert "killed" in neo4j_local.kill(settings)
        assert launcher_pids(neo4j_local.data_dir(settings)) == []
        assert neo4j_local.status(settings)[0] is False

        neo4j_local.start(settings, no_auth=True)
        with GraphDatabase.driver(settings.neo4j_uri) as drv:
            records, _, _ = drv.execute_query("MATCH (d:Durable) RETURN count(d) AS c")
        assert records[0]["c"] == 1
    finally:
        neo4j_local.stop(settings)
        for leftover in launcher_pids(neo4j_local.data_dir(settings)):
            os.kill(leftover, 9)


def assert_private(settings: Settings) -> None:
    """The server's folder, data and logs 0700; the launcher's log, Neo4j's logs and every file
    of the store readable by the owner only (folders by its umask, 0077)."""
    root = settings.neo4j_dir
    for folder in (root, neo4j_local.data_dir(settings), neo4j_local.data_dir(settings) / "logs"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    logs = [neo4j_local.log_file(settings), *(neo4j_local.data_dir(settings) / "logs").iterdir()]
    assert len(logs) > 1
    for path in logs:
        assert path.stat().st_mode & 0o077 == 0, path
    for path in neo4j_local.data_dir(settings).rglob("*"):
        if not path.is_symlink():
            assert path.stat().st_mode & 0o077 == 0, path


def test_auth_is_on_by_default_with_a_private_generated_password(tmp_path: Path) -> None:
    """Issue 19, item 4: no flag, no NEO4J_PASSWORD: a generated password (0600) that the CLI
    finds; anonymous Bolt is refused. `--no-auth` is the only way to turn it off."""
    settings = Settings(
        home=tmp_path, neo4j_port=AUTH_PORT, neo4j_uri_env=None, neo4j_password=None
    )
    env = {**os.environ, "RIGHTSGRAPH_HOME": str(tmp_path), "RIGHTSGRAPH_NEO4J_PORT": ""}
    env.pop("NEO4J_URI", None)
    env.pop("NEO4J_PASSWORD", None)
    port = ["--port", str(AUTH_PORT)]
    try:
        done = cli("neo4j", "start", *port, env=env)
        assert done.returncode == 0 and "auth on" in done.stdout, done.stderr
        secret = settings.password_file
        assert secret.stat().st_mode & 0o777 == 0o600
        password = secret.read_text().strip()
        assert len(password) >= 24 and settings.bolt_password == password
        assert_private(settings)  # issue 19 item 7: the server's files are the owner's only
        with (
            GraphDatabase.driver(settings.neo4j_uri, auth=None) as drv,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            drv.verify_connectivity()
        status = cli("neo4j", "status", *port, env=env)
        assert status.returncode == 0 and str(secret) in status.stdout, status.stderr
        assert cli("neo4j", "stop", *port, env=env).returncode == 0

        # A second start on the same data folder keeps the same password and starts.
        done = cli("neo4j", "start", *port, env=env)
        assert done.returncode == 0 and "auth on" in done.stdout, done.stderr
        with GraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", password)) as drv:
            drv.verify_connectivity()
        assert cli("neo4j", "stop", *port, env=env).returncode == 0

        done = cli("neo4j", "start", *port, "--no-auth", env=env)
        assert done.returncode == 0 and "auth off" in done.stdout, done.stderr
        with GraphDatabase.driver(settings.neo4j_uri, auth=None) as drv:
            drv.verify_connectivity()
        assert secret.read_text().strip() == password  # kept for the next start with auth
    finally:
        neo4j_local.stop(settings)
        for leftover in launcher_pids(neo4j_local.data_dir(settings)):
            os.kill(leftover, 9)
