"""The examples, run as a user would, against the real server."""

import json
import select
import subprocess
import sys

from stack import REPO, Stack

EXAMPLES = REPO / "clients" / "python" / "examples"


def test_timestamp_queries_are_answered_by_the_worker(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    worker = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "timestamp_worker.py"),
         "--redis", f"redis://127.0.0.1:{stack.redis_port}/0"],
        stdout=subprocess.DEVNULL,
    )
    try:
        session = subprocess.run(
            [sys.executable, str(EXAMPLES / "timestamp_client.py"), "--server", stack.address,
             "--server-pk", stack.server_pk, "--id", "101", "--key", key],
            input="SetA-Two\nSetZ-One\nexit\n", capture_output=True, text=True, timeout=30,
        )
    finally:
        worker.kill()
        worker.wait()
    assert session.returncode == 0, session.stderr
    answers = [line.split(" ", 1) for line in session.stdout.replace("query> ", "").splitlines()]
    assert [kind for kind, _ in answers] == ["timestamp", "timestamp", "answer", "answer"]
    assert [data for kind, data in answers if kind == "answer"] == ["END", "EMPTY"]


def test_the_listener_prints_each_event_as_a_json_line(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    stack.push("101", 1)
    listener = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "listener.py"), "--server", stack.address,
         "--server-pk", stack.server_pk, "--id", "101", "--key", key],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert listener.stdout is not None
        ready, _, _ = select.select([listener.stdout], [], [], 30)
        assert ready, "the listener printed nothing"
        line = json.loads(listener.stdout.readline())
    finally:
        listener.kill()
        listener.wait()
        listener.stdout.close()
    assert (line["type"], line["data"]) == ("n", "0")


def test_request_echo_prints_the_echoed_params(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    session = subprocess.run(
        [sys.executable, str(EXAMPLES / "request_echo.py"), "--server", stack.address,
         "--server-pk", stack.server_pk, "--id", "101", "--key", key, "--params", '{"hello": "python"}'],
        capture_output=True, text=True, timeout=30,
    )
    assert session.returncode == 0, session.stderr
    (line,) = [line for line in session.stdout.splitlines() if line.startswith("reply: ")]
    data, _, extra = line[len("reply: "):].partition("} ")
    assert json.loads(data + "}") == {"hello": "python"}
    assert int(json.loads(extra)["serverTs"]) > 0
