"""Messaging between clients (docs/PROTOCOL.md §6) against the real server:
direct messages, groups, refusals, request/reply with the server's own
methods and with a worker played by the test through redis-cli."""

import asyncio
import json
import time
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

import pytest

import sealpost
from stack import Stack, eventually


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def client(stack: Stack, client_id: str, **record: str) -> sealpost.Client:
    """A provisioned client; `record` adds fields (policies) to its sp:{ID}:client."""
    key = stack.provision(client_id)
    for name, value in record.items():
        stack.redis("HSET", f"sp:{{{client_id}}}:client", name, value)
    return sealpost.connect(stack.address, client_id, key, server_public_key=stack.server_pk)


async def next_fields(c: sealpost.Client, timeout: float = 10.0) -> Dict[str, str]:
    return dict((await asyncio.wait_for(c.__anext__(), timeout)).fields)


async def nothing_arrives(c: sealpost.Client, within: float = 0.5) -> None:
    try:
        event = await asyncio.wait_for(c.__anext__(), within)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected event {dict(event.fields)}")


def stream_length(stack: Stack, client_id: str) -> int:
    return int(stack.redis("XLEN", f"sp:{{{client_id}}}:events"))


def first_entry(stack: Stack, key: str) -> Optional[Tuple[str, Dict[str, str]]]:
    """The first entry of a stream (redis-cli prints one value a line), or None."""
    lines = stack.redis("XRANGE", key, "-", "+", "COUNT", "1").splitlines()
    if len(lines) < 3:
        return None
    return lines[0], dict(zip(lines[1::2], lines[2::2]))


def test_a_direct_message_arrives_with_from_the_sender(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> None:
        async with client(stack, "dm-a") as a, client(stack, "dm-b") as b:
            await b.wait_connected()
            await a.send("chat", "hi", fields={"mood": "good"}, to="dm-b")
            assert await next_fields(b) == {"type": "chat", "data": "hi", "mood": "good", "from": "dm-a"}
            await nothing_arrives(a)
        assert stack.redis("XLEN", "sp:inbound").strip() == "0"  # not a client-event for workers

    run(scenario())


def test_a_direct_message_to_an_unknown_client_is_refused_and_the_session_goes_on(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> None:
        async with client(stack, "dm-e") as a:
            first = (await a.wait_connected())["session"]
            with pytest.raises(sealpost.SealpostError) as refused:
                await a.send("chat", "hello?", to="nobody-here")
            assert (refused.value.code, refused.value.retry) == ("unknown_target", False)
            await a.send("still", "working")
            assert a.connected and a.welcome["session"] == first

    run(scenario())
    assert stream_length(stack, "nobody-here") == 0


def test_a_group_message_reaches_the_other_members_with_from_and_to(stack: Stack) -> None:
    stack.start_server()
    members = ["grp-a", "grp-b", "grp-c"]
    stack.redis("SADD", "sp:group:g1", *members)
    for member in members:
        stack.redis("SADD", f"sp:{{{member}}}:groups", "g1")

    async def scenario() -> None:
        async with client(stack, "grp-a") as a, client(stack, "grp-b") as b, client(stack, "grp-c") as c:
            for each in (a, b, c):
                await each.wait_connected()
            await a.send("chat", "hello all", to="group:g1")
            expected = {"type": "chat", "data": "hello all", "from": "grp-a", "to": "group:g1"}
            assert await next_fields(b) == expected
            assert await next_fields(c) == expected
            await nothing_arrives(a)
            assert stream_length(stack, "grp-a") == 0

    run(scenario())


def test_refusals_for_groups_and_a_direct_policy(stack: Stack) -> None:
    stack.start_server()
    stack.redis("SADD", "sp:group:g2", "grp-x", "grp-y")
    for member in ("grp-x", "grp-y"):
        stack.provision(member)
        stack.redis("SADD", f"sp:{{{member}}}:groups", "g2")

    async def refused(c: sealpost.Client, to: str) -> str:
        with pytest.raises(sealpost.SealpostError) as e:
            await c.send("chat", "x", to=to)
        return e.value.code

    async def scenario() -> None:
        async with client(stack, "grp-w", groups="any") as any_group, client(stack, "grp-z") as outsider, \
                client(stack, "grp-m", direct="none") as mute:
            assert await refused(any_group, "group:empty-group") == "unknown_target"
            assert await refused(outsider, "group:g2") == "forbidden"  # default: members only
            assert await refused(mute, "grp-x") == "forbidden"
            assert any_group.connected and outsider.connected and mute.connected
            assert stream_length(stack, "grp-x") + stream_length(stack, "grp-y") == 0
            await any_group.send("chat", "allowed", to="group:g2")
            assert stream_length(stack, "grp-x") + stream_length(stack, "grp-y") == 2

    run(scenario())


def test_echo_answers_with_the_params_as_json_and_the_server_time(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> None:
        async with client(stack, "rq-echo") as c:
            before = int(time.time() * 1000)
            reply = await c.request("echo", {"x": 1}, timeout=10)
            assert reply.event.type == "reply"
            assert json.loads(reply.data) == {"x": 1}
            assert reply.fields["re"] == reply.request_id and "from" not in reply.fields
            assert abs(int(reply.fields["serverTs"]) - before) < 60_000
            assert [p.event_id for p in reply.parts] == [reply.event.event_id]
            await nothing_arrives(c)  # the reply did not reach the event iterator
            await eventually(lambda: stream_length(stack, "rq-echo") == 0, what="the reply acked")

    run(scenario())


def test_time_answers_with_ms_and_iso_8601(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> None:
        async with client(stack, "rq-time") as c:
            before = int(time.time() * 1000)
            reply = await c.request("time", timeout=10)
            ms = int(reply.data)
            assert before - 60_000 <= ms <= time.time() * 1000 + 60_000
            iso = reply.fields["iso"]
            assert iso.endswith("Z")
            parsed = datetime.fromisoformat(iso[:-1]).replace(tzinfo=timezone.utc)
            assert round(parsed.timestamp() * 1000) == ms

    run(scenario())


def test_who_lists_a_groups_members_and_whether_each_is_online(stack: Stack) -> None:
    stack.start_server()
    stack.redis("SADD", "sp:group:g3", "who-a", "who-b")
    for member in ("who-a", "who-b"):
        stack.redis("SADD", f"sp:{{{member}}}:groups", "g3")
    stack.provision("who-b")  # provisioned, never connected

    async def scenario() -> None:
        async with client(stack, "who-a") as a:
            reply = await a.request("who", {"group": "g3"}, timeout=10)
            members = sorted(json.loads(reply.data), key=lambda m: m["id"])
            assert members == [{"id": "who-a", "online": True}, {"id": "who-b", "online": False}]

    run(scenario())


def test_a_request_nobody_answers_times_out_and_a_late_reply_is_an_ordinary_event(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> None:
        async with client(stack, "rq-none") as c:
            await c.wait_connected()
            started = time.monotonic()
            with pytest.raises(sealpost.RequestTimeout) as timed_out:
                await c.request("nobody-serves", {"q": "anyone?"}, timeout=1.5)
            assert time.monotonic() - started >= 1.4
            request_id = timed_out.value.request_id
            entry = first_entry(stack, "sp:requests:nobody-serves")
            assert entry is not None, "the request was not stored for workers"
            stored = entry[1]
            assert (stored["client"], stored["id"], stored["method"]) == ("rq-none", request_id, "nobody-serves")
            assert json.loads(stored["params"]) == {"q": "anyone?"}
            stack.redis("XADD", "sp:{rq-none}:events", "*", "type", "reply", "re", request_id, "data", "too late")
            assert await next_fields(c) == {"type": "reply", "re": request_id, "data": "too late"}

    run(scenario())


def test_a_workers_partial_and_final_replies_are_matched(stack: Stack) -> None:
    stack.start_server()

    async def worker() -> Tuple[str, Dict[str, str]]:
        await eventually(lambda: first_entry(stack, "sp:requests:query") is not None, what="the stored request")
        entry = first_entry(stack, "sp:requests:query")
        assert entry is not None
        request = entry[1]
        stream = "sp:{rq-work}:events"
        for fields in (("data", "ts1", "last", "0"), ("data", "not-a-reply", "from", "mallory"),
                       ("data", "ts2", "last", "0"), ("data", "END")):
            stack.redis("XADD", stream, "*", "type", "reply", "re", request["id"], *fields)
        return request["id"], request

    async def scenario() -> None:
        async with client(stack, "rq-work") as c:
            partials: List[str] = []
            pending = asyncio.ensure_future(
                c.request("query", "SetA-Two", timeout=10, on_partial=lambda p: partials.append(p.data)))
            request_id, request = await worker()
            assert (request["client"], request["method"], json.loads(request["params"])) == \
                ("rq-work", "query", "SetA-Two")
            reply = await pending
            assert (reply.request_id, reply.data) == (request_id, "END")
            assert [p.data for p in reply.parts] == ["ts1", "ts2", "END"]
            assert partials == ["ts1", "ts2"]
            # with `from` it is a direct message, never a reply
            assert (await next_fields(c))["data"] == "not-a-reply"
            await nothing_arrives(c)  # asking for the next event acks that one
            await eventually(lambda: stream_length(stack, "rq-work") == 0, what="all four acked")

    run(scenario())


def test_request_parts_iterates_over_a_workers_answer(stack: Stack) -> None:
    stack.start_server()

    async def scenario() -> List[str]:
        async with client(stack, "rq-iter") as c:
            got: List[str] = []

            async def answer() -> None:
                await eventually(lambda: first_entry(stack, "sp:requests:query") is not None, what="request")
                entry = first_entry(stack, "sp:requests:query")
                assert entry is not None
                for data, last in (("ts1", ["last", "0"]), ("END", [])):
                    stack.redis("XADD", "sp:{rq-iter}:events", "*", "type", "reply", "re", entry[1]["id"],
                                "data", data, *last)

            answering = asyncio.ensure_future(answer())
            async for part in c.request_parts("query", "SetA-One", timeout=10):
                got.append(part.data)
            await answering
            return got

    assert run(scenario()) == ["ts1", "END"]


def test_group_too_large_is_refused_and_target_full_is_retried_until_there_is_room(stack: Stack) -> None:
    stack.start_server("--max-group-members", "2", "--max-queued-events", "1")
    stack.redis("SADD", "sp:group:big", "lim-a", "lim-b", "lim-c")
    for member in ("lim-a", "lim-b", "lim-c"):
        stack.redis("SADD", f"sp:{{{member}}}:groups", "big")
    d_key = stack.provision("lim-d")  # offline: its stream fills up

    async def scenario() -> None:
        async with client(stack, "lim-a") as a:
            with pytest.raises(sealpost.SealpostError) as refused:
                await a.send("chat", "x", to="group:big")
            assert (refused.value.code, refused.value.retry) == ("group_too_large", False)
            await a.send("chat", "first", to="lim-d")
            second = asyncio.ensure_future(a.send("chat", "second", to="lim-d"))
            await asyncio.sleep(1.5)  # refused target_full (retry: true) and sent again at least once
            assert not second.done()
            assert stream_length(stack, "lim-d") == 1
            async with sealpost.connect(stack.address, "lim-d", d_key, server_public_key=stack.server_pk) as d:
                assert (await next_fields(d))["data"] == "first"
                # asking for the next event acks "first": room for the resent "second"
                got = await asyncio.wait_for(asyncio.gather(second, d.__anext__()), 15)
                assert got[1].data == "second"

    run(scenario())
