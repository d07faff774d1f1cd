"""Several servers (nodes of one deployment: one Redis, one key): every
attempt or session that ends moves the client on to the next one."""

import asyncio
import base64
import os
import pathlib
from typing import List

import pytest

import sealpost
from stack import Stack, eventually, free_port

SOME_KEY = base64.b64encode(os.urandom(32)).decode()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def client(tmp_path: pathlib.Path, **options) -> sealpost.Client:
    options.setdefault("server", "")
    return sealpost.Client(sealpost.Options(
        client_id="x", key_file=str(tmp_path / "x.key"), server_public_key=SOME_KEY, **options))


def test_a_list_is_a_comma_string_or_a_sequence(tmp_path: pathlib.Path) -> None:
    assert client(tmp_path, server="a:1, [::1]:9300", first_server=1).server == "[::1]:9300"
    assert client(tmp_path, server="ignored:1", servers=["x:1", "y:2"], first_server=0).server == "x:1"
    assert sealpost.connect(["x:1", "y:2"], "x", str(tmp_path / "x.key"), first_server=1).server == "y:2"
    assert sealpost.connect("127.0.0.1:9300", "x", str(tmp_path / "x.key")).server == "127.0.0.1:9300"


@pytest.mark.parametrize("options, message", [
    ({"server": "a:1,,b:2"}, "empty entry in the server list 'a:1,,b:2'"),
    ({"server": " , "}, "no server given"),
    ({"servers": []}, "no server given"),
    ({"server": "a:1,b"}, "server must be host:port, got 'b'"),
    ({"server": "[::1:9300"}, "server must be host:port or [v6]:port, got '[::1:9300'"),
    ({"server": "a:70000"}, "bad port in 'a:70000'"),
    ({"servers": ["a:1", "a:1"]}, "server 'a:1' is listed twice"),
    ({"servers": ["a:1,b:2"]}, "server list entry 'a:1,b:2' contains a comma"),
])
def test_a_bad_list_is_refused_with_the_entry_named(tmp_path: pathlib.Path, options, message) -> None:
    with pytest.raises(ValueError) as e:
        client(tmp_path, **options)
    assert str(e.value) == message


def test_random_first_servers_spread_clients_over_the_list(tmp_path: pathlib.Path) -> None:
    first = [client(tmp_path, server="a:1,b:2").server for _ in range(200)]
    # Binomial(200, 1/2): outside [60, 140] with probability below 1e-8.
    assert first.count("a:1") > 60 and first.count("b:2") > 60


def test_attempts_go_round_robin_from_the_first_server(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        seen: List[int] = []
        listeners = []
        for i in range(3):  # each closes every connection at once, noting the order
            async def closing(reader, writer, i=i) -> None:
                seen.append(i)
                writer.close()
            listeners.append(await asyncio.start_server(closing, "127.0.0.1", 0))
        servers = [f"127.0.0.1:{l.sockets[0].getsockname()[1]}" for l in listeners]
        c = client(tmp_path, servers=servers, first_server=1, backoff_min=0.01, backoff_max=0.05)
        c.start()
        try:
            await eventually(lambda: len(seen) >= 7, 10, "seven attempts")
            assert seen[:7] == [1, 2, 0, 1, 2, 0, 1]
        finally:
            await c.close()
            for listener in listeners:
                listener.close()

    run(scenario())


def test_of_a_dead_server_and_a_live_one_the_live_one_gets_the_session(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("sl1")
    dead = f"127.0.0.1:{free_port()}"

    async def scenario() -> None:
        async with sealpost.connect([dead, stack.address], "sl1", key, server_public_key=stack.server_pk,
                                    first_server=0, backoff_min=0.01) as c:
            welcome = await c.wait_connected()
            assert welcome["server"] == stack.address
            stack.push("sl1", 1)
            assert (await c.__anext__()).data == "0"

    run(scenario())


def test_goaway_moves_the_client_to_the_other_node(stack: Stack) -> None:
    first = stack.start_server("--goaway-reconnect-ms", "200", "--drain-timeout-ms", "500")
    other = f"127.0.0.1:{free_port()}"
    stack.start_server(port=int(other.rsplit(":", 1)[1]))
    key = stack.provision("sl2")

    async def scenario() -> None:
        # Backoff far above the goaway's delay: the move must come from the goaway.
        async with sealpost.connect(f"{stack.address},{other}", "sl2", key, server_public_key=stack.server_pk,
                                    first_server=0, backoff_min=20, backoff_max=30) as c:
            assert (await c.wait_connected())["server"] == stack.address
            stack.push("sl2", 1)
            assert (await c.__anext__()).data == "0"
            await asyncio.get_running_loop().run_in_executor(None, lambda: stack.stop_server(server=first))
            stack.push("sl2", 1, first=1)
            assert (await c.__anext__()).data == "1"
            assert c.welcome["server"] == other

    run(scenario())
