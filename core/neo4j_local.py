"""The local Neo4j: build the embedded launcher (docker/neo4j, also in the wheel) with Maven,
start, stop, check it.

One server per `Settings.neo4j_dir` (data in `db/`, launcher output in `neo4j.log`, pid in
`neo4j.pid`). Nothing here runs when `NEO4J_URI` points at another server (`settings.external`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import neo4j
from neo4j import GraphDatabase

from core.settings import IN_CHECKOUT, Settings, get_settings, shipped_dir

# The launcher's Maven project (pom.xml, src/): docker/neo4j in a checkout, a copy in the wheel.
LAUNCHER_DIR = shipped_dir(Path(__file__).resolve().parent / "_launcher", "docker/neo4j")
MAIN_CLASS = "org.rightsgraph.neo4j.Launcher"
READY_LINE = "RIGHTSGRAPH-NEO4J READY"
HEAP = ("-Xms256m", "-Xmx1g")
JVM_OPTIONS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)
MIN_PASSWORD_LENGTH = 8  # Neo4j's own rule (dbms.security.auth_minimum_password_length)

Auth = tuple[str, str] | None

# Servers started by this process, so their exit status is collected (no zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


class LocalNeo4jError(RuntimeError):
    """The local Neo4j could not be built, started or stopped; the message says what to do."""


def neo4j_version() -> str:
    """The Neo4j version the launcher's pom.xml pins."""
    match = re.search(r"<neo4j.version>([^<]+)<", (LAUNCHER_DIR / "pom.xml").read_text())
    return match.group(1) if match else "5.26"


def pid_file(settings: Settings) -> Path:
    return settings.neo4j_dir / "neo4j.pid"


def log_file(settings: Settings) -> Path:
    """The launcher's stdout and stderr; Neo4j's own debug log is in `db/logs/debug.log`."""
    return settings.neo4j_dir / "neo4j.log"


def data_dir(settings: Settings) -> Path:
    return settings.neo4j_dir / "db"


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise LocalNeo4jError(f"`{tool}` is not on PATH. {hint}")
    return path


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """An exclusive file lock, so two processes never build or start the same thing at once."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _classpath(project: Path) -> str:
    target = project / "target"
    return f"{target / 'classes'}{os.pathsep}{target / 'dependency' / '*'}"


def launcher_project(settings: Settings) -> Path:
    """Where Maven builds the launcher: docker/neo4j itself in a checkout; in an installation a
    copy under RIGHTSGRAPH_HOME (site-packages is never written to)."""
    return LAUNCHER_DIR if IN_CHECKOUT else settings.home / "launcher"


def _sync_sources(project: Path) -> None:
    """Make `project` hold the shipped pom.xml and src/ (mtimes kept, so an unchanged
    installation does not rebuild; an upgraded one does)."""
    if project == LAUNCHER_DIR:
        return
    if not (LAUNCHER_DIR / "pom.xml").is_file():
        raise LocalNeo4jError(f"The launcher's Maven project is missing from {LAUNCHER_DIR}.")
    shutil.rmtree(project / "src", ignore_errors=True)
    shutil.copytree(LAUNCHER_DIR / "src", project / "src")
    shutil.copy2(LAUNCHER_DIR / "pom.xml", project / "pom.xml")


def build_launcher(force: bool = False, settings: Settings | None = None) -> str:
    """Build the launcher with Maven unless already newer than pom and sources; the classpath."""
    project = launcher_project(settings or get_settings())
    target = project / "target"
    stamp = target / "rightsgraph-launcher.stamp"
    with _locked(target / ".build.lock"):
        _sync_sources(project)
        inputs = [project / "pom.xml", *(project / "src").rglob("*")]
        newest = max(p.stat().st_mtime for p in inputs if p.is_file())
        if not force and stamp.exists() and stamp.stat().st_mtime > newest:
            return _classpath(project)
        mvn = _require("mvn", "Install Maven 3.8+ (e.g. `apt-get install maven`).")
        _require("java", "Install a Java 17 or 21 JDK (e.g. `apt-get install openjdk-17-jdk`).")
        done = subprocess.run(
            [mvn, "-q", "-B", "package"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise LocalNeo4jError(
                f"Building the Neo4j launcher failed (`mvn package` in {project}).\n{tail}\n"
                "Maven needs Maven Central (or a mirror in ~/.m2/settings.xml) on the first build."
            )
        stamp.write_text(f"built with Neo4j {neo4j_version()}\n")
    return _classpath(project)


def java_command(
    settings: Settings, classpath: str, conf: Mapping[str, str] | None = None
) -> list[str]:
    """The command line that runs the launcher (the password travels in the environment);
    `conf` adds Neo4j settings (`--conf key=value`), e.g. a page cache size or an import folder."""
    java = _require("java", "Install a Java 17 or 21 JDK (e.g. `apt-get install openjdk-17-jdk`).")
    return [
        java,
        *HEAP,
        *JVM_OPTIONS,
        "-cp",
        classpath,
        MAIN_CLASS,
        "--port",
        str(settings.neo4j_port),
        "--data",
        str(data_dir(settings)),
        *(arg for key, value in (conf or {}).items() for arg in ("--conf", f"{key}={value}")),
    ]


def _alive(pid: int) -> bool:
    proc = _children.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (all threads exited, not yet reaped) does not count
        stat = Path(f"/proc/{pid}/stat").read_text()
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return False
    # The main thread of a dying JVM turns zombie while others still close its files and sockets.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z" or threads > 1


def _is_our_server(pid: int, settings: Settings) -> bool:
    """The pid is alive and is our launcher for this data folder (guards against pid reuse)."""
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    return MAIN_CLASS.encode() in cmdline and str(data_dir(settings)).encode() in cmdline


def running_pid(settings: Settings) -> int | None:
    """The pid of the local server for these settings, or None (a stale pid file is removed)."""
    path = pid_file(settings)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_our_server(pid, settings):
        return pid
    path.unlink(missing_ok=True)
    return None


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on host:port (a bind like Neo4j's would fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def log_tail(settings: Settings, lines: int = 30) -> str:
    try:
        text = log_file(settings).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def wait_for_bolt(
    uri: str,
    timeout: float,
    auth: Auth = None,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Return once a Bolt server at uri accepts a connection; AuthError is raised as is."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        if alive is not None and not alive():
            raise LocalNeo4jError(f"The server process exited before Bolt answered at {uri}.")
        try:
            with GraphDatabase.driver(uri, auth=auth, connection_timeout=2.0) as driver:
                driver.verify_connectivity()
            return
        except neo4j.exceptions.AuthError:
            raise
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise LocalNeo4jError(f"No Bolt answer at {uri} within {timeout:.0f} s ({last}).")
        time.sleep(0.3)


def _wait_ready(proc: subprocess.Popen[bytes], settings: Settings, deadline: float) -> None:
    """Wait for the launcher's ready line (printed after the password is set)."""
    log = log_file(settings)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalNeo4jError(
                f"Neo4j exited during start-up (exit code {proc.returncode}). "
                f"Last lines of {log}:\n{log_tail(settings)}\n"
                f"More in {data_dir(settings) / 'logs' / 'debug.log'}."
            )
        if READY_LINE in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise TimeoutError


def local_password(settings: Settings) -> str:
    """NEO4J_PASSWORD, else the generated password in `settings.password_file`, created (0600,
    its folder 0700) with a random value on first use."""
    if settings.neo4j_password:
        return settings.neo4j_password
    path = settings.password_file
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        password = path.read_text(encoding="utf-8").strip()
        if len(password) >= MIN_PASSWORD_LENGTH:
            return password
        raise LocalNeo4jError(
            f"{path} holds no usable password (8+ characters); delete it to have a new one made."
        ) from None
    password = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")
    return password


SERVER_UMASK = 0o077


def make_private(settings: Settings) -> None:
    """The server's folder, its data and log folders 0700 and the files already in the log
    folders 0600 (a folder from before this rule included): nothing another local user can read.
    The server itself runs with SERVER_UMASK, so what it writes later is private too."""
    folders = [settings.neo4j_dir, data_dir(settings), data_dir(settings) / "logs"]
    for folder in folders:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    for folder in (settings.neo4j_dir, data_dir(settings) / "logs"):
        for path in folder.iterdir():
            if path.is_file() and not path.is_symlink():
                path.chmod(0o600)


def start(
    settings: Settings,
    auth_password: str | None = None,
    timeout: float = 120,
    conf: Mapping[str, str] | None = None,
    no_auth: bool = False,
) -> str:
    """Start the local Neo4j in the background (built first if needed) and wait for Bolt;
    `conf` passes extra Neo4j settings to the launcher (benchmarks use it). Authentication is on,
    with `auth_password`, else `local_password(settings)`, unless `no_auth`."""
    if settings.external:
        return f"NEO4J_URI is set ({settings.neo4j_uri}): using that server, not starting one."
    if not no_auth and not auth_password:
        auth_password = local_password(settings)
    elif no_auth:
        auth_password = None
    if auth_password is not None and len(auth_password) < MIN_PASSWORD_LENGTH:
        raise LocalNeo4jError(f"Neo4j passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    began = time.monotonic()
    with _locked(settings.neo4j_dir / ".lock"):
        pid = running_pid(settings)
        if pid is not None:
            return f"Neo4j is already running at {settings.neo4j_uri} (pid {pid}); nothing to do."
        if port_in_use(settings.neo4j_port):
            raise LocalNeo4jError(
                f"Port {settings.neo4j_port} is already in use by another program. Stop it, or "
                "choose another port (--port or RIGHTSGRAPH_NEO4J_PORT)."
            )
        command = java_command(settings, build_launcher(settings=settings), conf)
        make_private(settings)
        env = dict(os.environ)
        env.pop("RIGHTSGRAPH_NEO4J_AUTH", None)
        if auth_password:
            env["RIGHTSGRAPH_NEO4J_AUTH"] = auth_password
        log = log_file(settings)
        if log.exists():
            log.replace(log.with_name(log.name + ".1"))
        with os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=settings.neo4j_dir,
                env=env,
                start_new_session=True,
                umask=SERVER_UMASK,  # every file Neo4j makes (store, logs) is the owner's only
            )
        _children[proc.pid] = proc
        pid_file(settings).write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + timeout  # the Maven build does not count
        auth = (settings.neo4j_user, auth_password) if auth_password else None
        try:
            _wait_ready(proc, settings, deadline)
            remaining = max(deadline - time.monotonic(), 1.0)
            wait_for_bolt(settings.neo4j_uri, remaining, auth, alive=lambda: proc.poll() is None)
        except TimeoutError:
            _terminate(proc.pid, settings)
            raise LocalNeo4jError(
                f"Neo4j did not come up within {timeout:.0f} s; it was stopped. Last lines of "
                f"{log}:\n{log_tail(settings)}\nTry again with a longer --timeout."
            ) from None
        except BaseException:
            _terminate(proc.pid, settings)
            raise
    took = time.monotonic() - began
    mode = "auth on" if auth_password else "auth off"
    return (
        f"Neo4j {neo4j_version()} started at {settings.neo4j_uri} (pid {proc.pid}, {mode}) "
        f"in {took:.1f} s; data and logs in {settings.neo4j_dir}."
    )


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _sigkill(pid: int) -> None:
    """SIGKILL the launcher's process group (it leads its own session), then wait for it."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 10)


def _terminate(pid: int, settings: Settings, timeout: float = 30) -> bool:
    """SIGTERM, then SIGKILL after timeout; True when it stopped cleanly."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    clean = _wait_gone(pid, timeout)
    if not clean:
        _sigkill(pid)
    _children.pop(pid, None)
    pid_file(settings).unlink(missing_ok=True)
    return clean


def stop(settings: Settings, timeout: float = 30) -> str:
    """Stop the local Neo4j cleanly (SIGTERM; SIGKILL if it takes longer than timeout)."""
    if settings.external:
        return f"NEO4J_URI is set ({settings.neo4j_uri}): not stopping a server we do not run."
    with _locked(settings.neo4j_dir / ".lock"):
        pid = running_pid(settings)
        if pid is None:
            return f"No local Neo4j is running for {settings.neo4j_dir}; nothing to do."
        began = time.monotonic()
        clean = _terminate(pid, settings, timeout)
    how = "" if clean else f" (killed: no clean shutdown within {timeout:.0f} s)"
    return f"Neo4j (pid {pid}) stopped in {time.monotonic() - began:.1f} s{how}."


def kill(settings: Settings) -> str:
    """SIGKILL the local Neo4j at once, with no clean shutdown (for fault tests)."""
    if settings.external:
        return f"NEO4J_URI is set ({settings.neo4j_uri}): not killing a server we do not run."
    pid = running_pid(settings)
    if pid is None:
        return f"No local Neo4j is running for {settings.neo4j_dir}; nothing to do."
    _sigkill(pid)
    _children.pop(pid, None)
    pid_file(settings).unlink(missing_ok=True)
    return f"Neo4j (pid {pid}) killed."


def status(settings: Settings) -> tuple[bool, str]:
    """(up, message): up means Bolt answers at settings.neo4j_uri."""
    password = settings.bolt_password
    auth = (settings.neo4j_user, password) if password else None
    pid = None if settings.external else running_pid(settings)
    where = "external server" if settings.external else f"local Neo4j (pid {pid})"
    if not settings.external and pid is None:
        other = port_in_use(settings.neo4j_port)
        taken = " (but another program listens on that port)" if other else ""
        return False, (
            f"No local Neo4j is running on port {settings.neo4j_port}{taken}; "
            "start one with `rightsgraph neo4j start`."
        )
    try:
        wait_for_bolt(settings.neo4j_uri, 3.0, auth)
    except neo4j.exceptions.AuthError:
        hint = (
            "rejects the password (NEO4J_PASSWORD, else the generated one in "
            f"{settings.password_file})"
            if auth
            else f"requires a password: set NEO4J_PASSWORD (or restore {settings.password_file})"
        )
        return True, f"{where} is up at {settings.neo4j_uri}, but {hint}."
    except LocalNeo4jError as exc:
        return False, f"{where} does not answer: {exc}"
    if settings.neo4j_password:
        how = "password from NEO4J_PASSWORD"
    elif password:
        how = f"password from {settings.password_file}"
    else:
        how = "no password"
    return True, f"{where} is up at {settings.neo4j_uri} ({how})."
