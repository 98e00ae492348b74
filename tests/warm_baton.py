"""`baton` as a whole process, without paying for the interpreter's start each time.

A `baton` process spends about 0.6 s of CPU importing (PyGithub, cryptography, pydantic's models)
before it does anything, and the suite starts hundreds of them. Here one server per test process
imports Baton once and then waits; each `run_baton` makes it fork a fresh child that takes the
caller's argv, environment, working directory and standard streams and runs `bot.cli.main()`,
exactly what `python -m bot` runs. The child is a real process: its own memory, its own exit
status, killed when it runs past its timeout, and an injected crash (`os._exit`) ends it as it
ends a `baton` process. The server itself never runs Baton's code, so no child sees another's
state. Two things tell it apart: `/proc/<pid>/environ` holds the environment a process was
started with, the server's (a test that reads it starts `python -m bot` itself); and it ends
as the interpreter ends but for freeing every object one by one (`_run_and_exit`).

    python -m tests.warm_baton SOCKET   the server (started by `run_baton` when first needed)

The server forks a keeper per request, and the keeper forks the child and waits for it: the
caller learns the child's pid first (to kill it at a timeout) and then its exit status. For a
step of the Actions runner (tests/actions), `write_shim` puts a `baton` on the step's PATH whose
child is in the step's hostname and shares its process tree's fate: the keeper kills the child
and all it started when the step's process dies, and kills and names what the child leaves
running, which fails the step.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import json
import os
import pkgutil
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import bot
from tests.actions.reaper import PR_SET_CHILD_SUBREAPER, argv_of, children_of

ROOT = Path(__file__).resolve().parent.parent
STREAMS = 3  # stdin, stdout, stderr
CLONE_NEWUSER, CLONE_NEWUTS = 0x10000000, 0x04000000  # <linux/sched.h>


# -- the server ----------------------------------------------------------------------------------


def _import_baton() -> None:
    """Every module of Baton, and with them everything they import."""
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if module.name != "bot.__main__":  # it runs Baton
            importlib.import_module(module.name)


def _serve(path: str) -> dict[str, Any]:
    """Forks a keeper per request until the caller closes our stdin; returns only in a child,
    with the request it is to run."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    gc.collect()
    gc.freeze()  # the children share the imported modules' pages instead of copying them
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [], 1.0)
        _reap(block=sys.stdin in ready)
        if sys.stdin in ready:  # the caller is gone
            os._exit(0)
        if listener in ready:
            connection, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                return _keep(connection)
            connection.close()


def _reap(*, block: bool) -> None:
    """Waits for the keepers that have ended (all of them at the end): waited for, the CPU they
    and their children used counts as the caller's children's, as a process of its own would."""
    try:
        while os.waitpid(-1, 0 if block else os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _keep(connection: socket.socket) -> dict[str, Any]:
    """The keeper: forks the child, tells the caller its pid, then how it ended."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 20, STREAMS)
    if not data:  # a caller making sure the server listens
        os._exit(0)
    request: dict[str, Any] = json.loads(data)
    step = bool(request.get("step"))
    if step:  # the processes the child leaves behind become the keeper's, not init's
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = os.fork()
    if child == 0:
        connection.close()
        for number, fd in enumerate(fds):
            os.dup2(fd, number)
            os.close(fd)
        if step:
            _join_namespaces(int(request["pid"]))
        return request
    for fd in fds:
        os.close(fd)
    connection.send(str(child).encode())
    if step:
        ended = _watch(connection, child)
    else:
        ended = {"code": os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]), "left": []}
    with contextlib.suppress(OSError):  # the caller stopped waiting (its timeout)
        connection.send(json.dumps(ended).encode())
    os._exit(0)


def _join_namespaces(pid: int) -> None:
    """Into the step's hostname: a job of the Actions runner may run on a machine of its own
    (tests/actions/job.py: a UTS namespace, in a user namespace when not root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, flag in (("user", CLONE_NEWUSER), ("uts", CLONE_NEWUTS)):
        theirs = Path(f"/proc/{pid}/ns/{kind}")
        if theirs.stat().st_ino == Path(f"/proc/self/ns/{kind}").stat().st_ino:
            continue
        fd = os.open(theirs, os.O_RDONLY)
        if libc.setns(fd, flag) != 0:
            raise OSError(ctypes.get_errno(), f"cannot join the {kind} namespace of {pid}")
        os.close(fd)


def _watch(connection: socket.socket, child: int) -> dict[str, Any]:
    """For a step's `baton`: the child's end, and what it left running (killed, named). When
    the step's process dies first (a step killed with its process group, a runner lost), the
    child and everything it started die too, as they would as the step's own processes."""
    ready, _, _ = select.select([os.pidfd_open(child), connection], [], [])
    if connection in ready:  # nothing is ever sent: the step's process is gone
        os.kill(child, signal.SIGKILL)
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    left: list[str] = []
    while orphans := children_of(os.getpid()):
        for pid in orphans:
            left.append(" ".join(argv_of(pid)))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return {"code": code, "left": left}


def _become(request: dict[str, Any]) -> None:
    """The child takes on what a new `python -m bot` process would have."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    tempfile.tempdir = None  # it follows TMPDIR, read anew
    # As Python opens them at start (UTF-8 mode aside): stderr line-buffered, a terminal too.
    encoding = os.environ.get("PYTHONIOENCODING", "utf-8").partition(":")[0] or "utf-8"
    sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
    line = 1 if os.isatty(1) else -1
    sys.stdout = open(1, "w", line, encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", 1, encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115


# -- the caller ----------------------------------------------------------------------------------

_server: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
_lock = threading.Lock()


def _socket_path() -> str:
    """The server of this process, started on first use and stopped when this process ends."""
    with _lock:
        running = _server.get(os.getpid())
        if running is not None and running[0].poll() is None:
            return running[1]
        path = str(Path(tempfile.mkdtemp(prefix="baton-warm-")) / "socket")
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.warm_baton", path],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if not k.startswith("BATON_")},
        )
        _server[os.getpid()] = (server, path)
        atexit.register(_stop, server, path)
        return path


def _stop(server: subprocess.Popen[bytes], path: str) -> None:
    if server.stdin is not None:
        server.stdin.close()
    server.wait(timeout=10)
    shutil.rmtree(Path(path).parent, ignore_errors=True)


def _connect(path: str) -> socket.socket:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for _ in range(1200):  # the server binds once it has imported Baton (a minute at most)
        try:
            client.connect(path)
            return client
        except (FileNotFoundError, ConnectionRefusedError):
            select.select([], [], [], 0.05)
    raise RuntimeError(f"the warm baton server never listened on {path}")


def run_baton(
    args: list[str],
    *,
    cwd: Path | str,
    env: dict[str, str],
    timeout: float,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run([python, "-m", "bot", *args], capture_output=True, text=True)`, in a child
    of the warm server: the same argv, environment, working directory and streams."""
    with (
        tempfile.TemporaryFile() as stdin,
        tempfile.TemporaryFile() as stdout,
        tempfile.TemporaryFile() as stderr,
        _connect(_socket_path()) as client,
    ):
        stdin.write((input or "").encode())
        stdin.seek(0)
        request = {
            "argv": [str(ROOT / "bot" / "__main__.py"), *args],
            "env": env,
            "cwd": str(cwd),
        }
        socket.send_fds(
            client,
            [json.dumps(request).encode()],
            [stdin.fileno(), stdout.fileno(), stderr.fileno()],
        )
        child = int(client.recv(64))
        client.settimeout(timeout)
        try:
            code = json.loads(client.recv(1 << 20))["code"]
        except TimeoutError:
            os.kill(child, signal.SIGKILL)
            raise subprocess.TimeoutExpired(["baton", *args], timeout) from None
        stdout.seek(0)
        stderr.seek(0)
        # As `text=True` reads them: strict decoding, universal newlines.
        out, err = (
            s.read().decode().replace("\r\n", "\n").replace("\r", "\n") for s in (stdout, stderr)
        )
    return subprocess.CompletedProcess(["baton", *args], code, out, err)


SHIM = """\
#!{python} -IS
# `baton` for this test run: its process runs as a child of the warm server (tests/warm_baton.py).
import json, os, signal, socket, sys

client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
client.connect({socket!r})
request = {{"argv": ["baton", *sys.argv[1:]], "env": dict(os.environ), "cwd": os.getcwd(), "step": True, "pid": os.getpid()}}
socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
child = int(client.recv(64))
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, lambda signum, _: os.kill(child, signum))
ended = json.loads(client.recv(1 << 20))
if ended["left"]:
    print("baton left processes running:", *ended["left"], sep="\\n  ", file=sys.stderr)
    sys.exit(125)
if ended["code"] < 0:
    signal.signal(-ended["code"], signal.SIG_DFL)
    os.kill(os.getpid(), -ended["code"])
sys.exit(ended["code"])
"""


def write_shim(path: Path) -> None:
    """An executable `baton` at `path` that runs as the warm server's child, with its caller's
    argv, environment, working directory and standard streams, and with its process tree's fate:
    killed with it; whatever it leaves running is killed and fails the call (exit 125, named)."""
    server = _socket_path()
    _connect(server).close()  # listening before the first call
    path.write_text(SHIM.format(python=sys.executable, socket=server))
    path.chmod(0o755)


def _run_and_exit(main: Callable[[], object]) -> NoReturn:
    """Runs `main` and, once it returns or exits, ends as the interpreter ends a `python -m bot`
    process (the exit status, the other threads joined, the exit functions run, the standard
    streams flushed), without what comes after: freeing every object one by one, which in a
    child forked from the server writes to (and so copies) nearly every page the two share, some
    70 ms of CPU a call, two thirds of a short one. This is how multiprocessing ends the children
    it forks. An uncaught exception propagates: the interpreter prints it and ends as it would."""
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = _exit_status(stop.code)
    # What the interpreter runs at exit before it frees anything, in its order (Py_FinalizeEx).
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120  # Python's status when it cannot flush its output at exit
    os._exit(code)


def _exit_status(code: object) -> int:
    """The exit status of `SystemExit(code)`, as the interpreter takes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _import_baton()
    _become(_serve(sys.argv[1]))
    from bot.cli import main

    _run_and_exit(main)
