"""Server restarts, goaway and heartbeats against the real server."""

import asyncio
import logging
import time

import pytest

import sealpost
from stack import Stack, eventually


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_goaway_makes_the_client_reconnect_to_the_next_server(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sealpost")
    stack.start_server("--goaway-reconnect-ms", "1500", "--drain-timeout-ms", "500")
    key = stack.provision("101")

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk) as c:
            first = (await c.wait_connected())["session"]
            await asyncio.get_running_loop().run_in_executor(None, stack.stop_server)
            stopped_at = time.monotonic()
            assert any("goaway" in r.getMessage() for r in caplog.records)
            stack.start_server()
            stack.push("101", 1)
            event = await c.__anext__()
            assert event.data == "0"
            assert c.welcome["session"] != first
            # it waited about reconnectMs (jittered to [0.5, 1.5]x), not the short backoff
            assert time.monotonic() - stopped_at >= 0.5

    run(scenario())


def test_events_pushed_while_the_server_is_down_arrive_after_it_is_back(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk,
                                    backoff_max=0.5) as c:
            await c.wait_connected()
            await asyncio.get_running_loop().run_in_executor(None, stack.stop_server)
            stack.push("101", 3)
            stack.start_server()
            assert [(await c.__anext__()).data for _ in range(3)] == ["0", "1", "2"]

    run(scenario())


def test_the_client_answers_heartbeats_and_keeps_its_session(stack: Stack) -> None:
    stack.start_server("--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "400")
    key = stack.provision("101")

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk) as c:
            session = (await c.wait_connected())["session"]
            await asyncio.sleep(1.5)  # the time under test: several timeouts' worth of pings
            assert c.welcome["session"] == session
            stack.push("101", 1)
            assert (await c.__anext__()).data == "0"
            assert c.welcome["session"] == session

    run(scenario())


def test_a_client_event_sent_while_the_server_is_down_is_stored_once_it_is_back(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk,
                                    backoff_max=0.5) as c:
            await c.wait_connected()
            await asyncio.get_running_loop().run_in_executor(None, stack.stop_server)
            await eventually(lambda: not c.connected, what="disconnect")
            sending = asyncio.ensure_future(c.send("reading", "42"))
            await asyncio.sleep(0.2)
            assert not sending.done()
            stack.start_server()
            await asyncio.wait_for(sending, 20)

    run(scenario())
    assert stack.redis("XLEN", "sp:inbound").strip() == "1"
