"""Against a real sealpost-server and redis-server: delivery, acks, client-events."""

import asyncio
from typing import List

import sealpost
from stack import Stack, eventually


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_a_thousand_events_arrive_exactly_once_and_in_order(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    stack.push("101", 500)  # while the client is offline

    async def scenario() -> List[str]:
        received: List[str] = []
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk) as c:
            await c.wait_connected()
            stack.push("101", 500, first=500)
            async for event in c:
                assert event.type == "n"
                received.append(event.data)
                if len(received) == 1000:
                    break
            # asking for the next event acks the 1000th; nothing more may come
            try:
                extra = await asyncio.wait_for(c.__anext__(), 0.5)
                raise AssertionError(f"unexpected event {extra}")
            except asyncio.TimeoutError:
                pass
            # every ack reached the server: it removed each event from the stream
            await eventually(lambda: stack.redis("XLEN", "sp:{101}:events").strip() == "0",
                             what="all events acked")
        return received

    assert run(scenario()) == [str(i) for i in range(1000)]


def test_a_client_event_reaches_sp_inbound_with_the_authenticated_id(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("dev-7")

    async def scenario() -> str:
        async with sealpost.connect(stack.address, "dev-7", key, server_public_key=stack.server_pk) as c:
            return await c.send("telemetry", "21.5C", fields={"unit": "C"})

    event_id = run(scenario())
    entry = stack.redis("XRANGE", "sp:inbound", "-", "+").split("\n")
    fields = entry[1:]
    pairs = dict(zip(fields[0::2], fields[1::2]))
    assert pairs["client"] == "dev-7"
    assert pairs["id"] == event_id
    assert (pairs["type"], pairs["data"], pairs["unit"]) == ("telemetry", "21.5C", "C")


def test_the_chachapoly_blake2b_suite_works_end_to_end(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")
    stack.push("101", 1)

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk,
                                    protocol="Noise_XX_25519_ChaChaPoly_BLAKE2b") as c:
            assert (await c.__anext__()).data == "0"
            await c.send("reply", "ok")

    run(scenario())
    assert "reply" in stack.redis("XRANGE", "sp:inbound", "-", "+")


def test_disabling_a_live_client_ends_it_for_good(stack: Stack) -> None:
    stack.start_server()
    key = stack.provision("101")

    async def scenario() -> None:
        async with sealpost.connect(stack.address, "101", key, server_public_key=stack.server_pk) as c:
            await c.wait_connected()
            stack.redis("HSET", "sp:{101}:client", "disabled", "1")
            try:
                async for _ in c:
                    pass
            except sealpost.SealpostError as e:
                assert e.code == "client_disabled"
            else:
                raise AssertionError("the iteration ended without the server's refusal")

    run(scenario())
