"""Messaging (docs/PROTOCOL.md §6) without a server: the messages built, local
refusals, and how the client matches replies to its requests. The client's
connection is a stub that records what would be sent."""

import asyncio
import math
import pathlib
from typing import Any, Dict, List

import pytest

import sealpost
from sealpost import messages
from sealpost.messages import Event


class StubConnection:
    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []

    def send(self, message: Dict[str, Any]) -> None:
        self.sent.append(message)

    def of(self, type_: str) -> List[Dict[str, Any]]:
        return [m for m in self.sent if m["type"] == type_]


def stubbed(tmp_path: pathlib.Path) -> "tuple[sealpost.Client, StubConnection]":
    client = sealpost.Client(sealpost.Options(server="127.0.0.1:1", client_id="unit",
                                              key_file=str(tmp_path / "unit.key")))
    client._task = asyncio.get_running_loop().create_future()  # "running"; never connects
    conn = StubConnection()
    client._conn = conn  # type: ignore[assignment]
    return client, conn


def serve(client: sealpost.Client, event_id: str, **fields: str) -> None:
    client._handle(None, {"type": "server-event", "ts": 1, "eventId": event_id, "attempt": 1,  # type: ignore[arg-type]
                          "event": fields})


def queued(client: sealpost.Client) -> List[Dict[str, str]]:
    out = []
    while not client._events.empty():
        item = client._events.get_nowait()
        assert isinstance(item, Event)
        out.append(dict(item.fields))
    return out


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_client_events_with_and_without_to_and_requests_with_and_without_params() -> None:
    plain = messages.client_event("c-1", "t", None, None)
    assert "to" not in plain
    dm = messages.client_event("c-2", "chat", "hi", {"mood": "ok"}, "group:lobby")
    assert (dm["to"], dm["event"]) == ("group:lobby", {"type": "chat", "data": "hi", "mood": "ok"})
    request = messages.request("c-3", "echo", {"x": 1})
    assert {k: v for k, v in request.items() if k != "ts"} == {
        "type": "request", "id": "c-3", "method": "echo", "params": {"x": 1}}
    assert "params" not in messages.request("c-4", "time")
    assert messages.request("c-5", "echo", None)["params"] is None


def test_what_the_server_would_refuse_is_refused_locally() -> None:
    for name in ("from", "to", "client"):
        with pytest.raises(ValueError, match="reserved"):
            messages.client_event("c-1", "chat", "x", {name: "someone"})
    for target in ("102", "a.b_c-9", "group:lobby", "group:" + "g" * 64):
        messages.check_target(target)
    for target in ("", "group:", "a b", "x/y", "group:a:b", "x" * 65):
        with pytest.raises(ValueError, match="to must be"):
            messages.client_event("c-1", "chat", "x", None, target)
    for method in ("", "a b", "m" * 65):
        with pytest.raises(ValueError, match="method"):
            messages.request("c-1", method)
    for params in (math.nan, {1, 2}, object()):
        with pytest.raises(ValueError, match="params"):
            messages.request("c-1", "echo", params)


def test_a_reply_is_a_reply_event_with_re_and_without_from() -> None:
    assert messages.reply_to(Event("1-0", 1, {"type": "reply", "re": "c-1"})) == "c-1"
    assert messages.reply_to(Event("1-0", 1, {"type": "reply", "re": "c-1", "from": "102"})) is None
    assert messages.reply_to(Event("1-0", 1, {"type": "chat", "re": "c-1"})) is None
    assert messages.reply_to(Event("1-0", 1, {"type": "reply"})) is None


def test_send_to_puts_it_on_the_message_and_a_refusal_raises_for_that_send(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        client, conn = stubbed(tmp_path)
        dm = asyncio.ensure_future(client.send("chat", "hi", to="102"))
        group = asyncio.ensure_future(client.send("chat", "all", to="group:big"))
        plain = asyncio.ensure_future(client.send("telemetry", "1"))
        await asyncio.sleep(0)
        m1, m2, m3 = conn.of("client-event")
        assert (m1["to"], m2["to"], "to" in m3) == ("102", "group:big", False)
        client._handle(None, {"type": "error", "ts": 1, "code": "unknown_target", "message": "no 102",  # type: ignore[arg-type]
                              "retry": False, "id": m1["id"]})
        client._handle(None, {"type": "error", "ts": 1, "code": "group_too_large", "retry": False,  # type: ignore[arg-type]
                              "id": m2["id"]})
        client._handle(None, {"type": "ack", "ts": 1, "id": m3["id"]})  # type: ignore[arg-type]
        with pytest.raises(sealpost.SealpostError) as refused:
            await dm
        assert (refused.value.code, refused.value.retry) == ("unknown_target", False)
        with pytest.raises(sealpost.SealpostError, match="group_too_large"):
            await group
        assert await plain == m3["id"]
        await client.close()

    run(scenario())


def test_partial_and_final_replies_make_the_reply_and_skip_the_event_queue(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        client, conn = stubbed(tmp_path)
        partials: List[str] = []
        pending = asyncio.ensure_future(
            client.request("query", "SetA-Two", on_partial=lambda p: partials.append(p.data)))
        await asyncio.sleep(0)
        (req,) = conn.of("request")
        assert (req["method"], req["params"]) == ("query", "SetA-Two")
        client._handle(None, {"type": "ack", "ts": 1, "id": req["id"]})  # type: ignore[arg-type]
        assert req["id"] not in client._outbox and not pending.done()  # stored; the reply still to come
        serve(client, "1-0", type="reply", re=req["id"], data="ts1", last="0")
        serve(client, "1-0", type="reply", re=req["id"], data="ts1", last="0")  # redelivered
        serve(client, "2-0", type="reply", re=req["id"], data="forged", **{"from": "mallory"})
        serve(client, "3-0", type="reply", re=req["id"], data="ts2", last="0")
        serve(client, "4-0", type="reply", re=req["id"], data="END")
        reply = await pending
        assert isinstance(reply, sealpost.Reply)
        assert (reply.request_id, reply.data) == (req["id"], "END")
        assert [p.data for p in reply.parts] == ["ts1", "ts2", "END"]
        assert partials == ["ts1", "ts2"]
        assert [a["eventId"] for a in conn.of("ack")] == ["1-0", "1-0", "3-0", "4-0"]
        assert queued(client) == [{"type": "reply", "re": req["id"], "data": "forged", "from": "mallory"}]
        await client.close()

    run(scenario())


def test_a_request_times_out_and_a_late_reply_is_an_ordinary_event(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        client, conn = stubbed(tmp_path)
        pending = asyncio.ensure_future(client.request("nobody", {"q": 1}, timeout=0.15))
        await asyncio.sleep(0)
        (req,) = conn.of("request")
        serve(client, "5-0", type="reply", re=req["id"], data="part", last="0")
        started = asyncio.get_running_loop().time()
        with pytest.raises(sealpost.RequestTimeout) as timed_out:
            await pending
        assert asyncio.get_running_loop().time() - started >= 0.1
        assert isinstance(timed_out.value, asyncio.TimeoutError)
        assert (timed_out.value.code, timed_out.value.request_id) == ("request_timeout", req["id"])
        assert [p.data for p in timed_out.value.parts] == ["part"]
        assert "nobody" in str(timed_out.value)
        assert not client._outbox and not client._requests  # not kept, not resent
        serve(client, "6-0", type="reply", re=req["id"], data="late")
        serve(client, "7-0", type="reply", re="unknown-id", data="stray")
        assert [f["data"] for f in queued(client)] == ["late", "stray"]
        await client.close()

    run(scenario())


def test_request_parts_yields_each_reply_as_it_comes(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        client, conn = stubbed(tmp_path)
        got: List[str] = []

        async def consume() -> None:
            async for part in client.request_parts("query", "SetA-Two", timeout=5):
                got.append(part.data)

        consumer = asyncio.ensure_future(consume())
        await asyncio.sleep(0.01)
        (req,) = conn.of("request")
        serve(client, "1-0", type="reply", re=req["id"], data="ts1", last="0")
        await asyncio.sleep(0.01)
        assert got == ["ts1"]  # before the final one
        serve(client, "2-0", type="reply", re=req["id"], data="ts2", last="0")
        serve(client, "3-0", type="reply", re=req["id"], data="END")
        await consumer
        assert got == ["ts1", "ts2", "END"]
        await client.close()

    run(scenario())


def test_a_refused_request_raises_and_close_fails_a_waiting_one(tmp_path: pathlib.Path) -> None:
    async def scenario() -> None:
        client, conn = stubbed(tmp_path)
        refused = asyncio.ensure_future(client.request("secret"))
        waiting = asyncio.ensure_future(client.request("echo", "x"))
        await asyncio.sleep(0)
        r1, r2 = conn.of("request")
        client._handle(None, {"type": "error", "ts": 1, "code": "forbidden", "retry": False,  # type: ignore[arg-type]
                              "id": r1["id"]})
        client._handle(None, {"type": "ack", "ts": 1, "id": r2["id"]})  # type: ignore[arg-type]
        with pytest.raises(sealpost.SealpostError, match="forbidden"):
            await refused
        await client.close()
        with pytest.raises(sealpost.SealpostError) as closed:
            await waiting
        assert closed.value.code == "closed"

    run(scenario())
