"""What an attacker on the path or a wrong server key can and cannot do."""

import asyncio

import pytest

import sealpost
from proxy import Proxy
from sealpost.noise import KeyPair
from sealpost import b64
from stack import Stack, eventually


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_a_wrong_pinned_key_is_refused_before_the_client_id_is_sent(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    wrong_pk = b64.encode(KeyPair.generate().public)

    async def scenario() -> None:
        proxy = await Proxy(stack.port).start()
        async with sealpost.connect(proxy.address, "101", key, server_public_key=wrong_pk) as c:
            with pytest.raises(sealpost.SealpostError) as refused:
                await c.wait_connected()
            assert refused.value.code == "server_key_mismatch"
            with pytest.raises(sealpost.SealpostError):
                await c.__anext__()
            await proxy.client_closed[0].wait()
        # one connection, and on it only frame 1 (message 3 carries the id)
        assert len(proxy.client_bytes) == 1
        assert proxy.client_bytes[0].count(0) == 1
        await proxy.stop()

    run(scenario())


def test_a_tampered_frame_closes_the_connection_and_the_event_comes_again(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    stack.push("101", 1)  # so the server's third frame (after message 2 and welcome) is this event

    async def scenario() -> None:
        proxy = await Proxy(stack.port, tamper_server_frame=3).start()
        async with sealpost.connect(proxy.address, "101", key, server_public_key=stack.server_pk) as c:
            event = await c.__anext__()
            assert event.data == "0"
            # the client closed the first connection itself and came back on a second
            assert proxy.client_closed[0].is_set()
            assert len(proxy.client_bytes) == 2
        await eventually(lambda: stack.redis("XLEN", "sp:{101}:events").strip() == "0", what="ack")
        await proxy.stop()

    run(scenario())


def test_an_unknown_client_gives_up_for_good(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    stack.redis("HSET", "sp:{101}:client", "pk", b64.encode(KeyPair.generate().public))

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk) as c:
            with pytest.raises(sealpost.SealpostError) as refused:
                async for _ in c:
                    pass
            assert refused.value.code == "unknown_client"
            with pytest.raises(sealpost.SealpostError):
                await c.send("t", "d")

    run(scenario())


def test_trust_on_first_use_records_the_key_then_refuses_a_changed_one(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    known = stack.tmp / "dir" / "known_servers"

    async def connect_once() -> None:
        async with sealpost.connect(stack.address, "101", key, known_servers_file=str(known),
                                    server_name="events") as c:
            await c.wait_connected()

    run(connect_once())
    assert known.read_text() == f"events {stack.server_pk}\n"
    run(connect_once())  # the recorded key matches
    known.write_text(f"events {b64.encode(KeyPair.generate().public)}\n")
    with pytest.raises(sealpost.SealpostError) as refused:
        run(connect_once())
    assert refused.value.code == "server_key_mismatch"
    assert "line 1" in str(refused.value)
