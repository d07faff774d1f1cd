#!/usr/bin/env python3
"""The backend half of the timestamp query example.

sealpost has no request/reply yet, so a query travels as data the server
already carries: the client sends a client-event `query` (data "SetA-Two"),
the server stores it in the `sp:inbound` stream with the authenticated client
id, and this worker reads it there and answers by XADDing events to that
client's own stream `sp:{ID}:events`, which sealpost delivers:

    SetA-Two -> two "timestamp" events, then "answer" END
    unknown  -> "answer" EMPTY

Nothing here touches sealpost's wire: it speaks plain RESP to Redis.

    python3 timestamp_worker.py --redis redis://127.0.0.1:6379
"""

from __future__ import annotations

import argparse
import datetime
import os
from typing import Dict, List, Tuple

from resp import Redis, RedisError, parse_url

TABLE = {
    "SetA": {"One": 1, "Two": 2},
    "SetB": {"Three": 3, "Four": 4},
    "SetC": {"Five": 5, "Six": 6},
    "SetD": {"Seven": 7, "Eight": 8},
    "SetE": {"Nine": 9, "Ten": 10},
}
GROUP = "examples-py"


def count_for(query: str) -> int:
    name, _, member = query.partition("-")
    return TABLE.get(name, {}).get(member, 0)


def answer(redis: Redis, prefix: str, client: str, query: str) -> None:
    stream = f"{prefix}{{{client}}}:events"
    count = count_for(query)
    for _ in range(count):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        redis.command("XADD", stream, "*", "type", "timestamp", "data", now)
    redis.command("XADD", stream, "*", "type", "answer", "data", "END" if count else "EMPTY")


def read_batch(redis: Redis, inbound: str) -> List[Tuple[bytes, Dict[str, str]]]:
    reply = redis.command("XREADGROUP", "GROUP", GROUP, "worker", "COUNT", "100",
                          "BLOCK", "1000", "STREAMS", inbound, ">")
    if not reply:
        return []
    entries = reply[0][1]
    out = []
    for entry_id, body in entries:
        # the server writes client/id/ts first and refuses them in the event,
        # so a dict (last value wins) can trust `client`
        fields = {body[i].decode(): body[i + 1].decode() for i in range(0, len(body) - 1, 2)}
        out.append((entry_id, fields))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("SEALPOST_REDIS_URL"))
    parser.add_argument("--key-prefix", default=os.environ.get("SEALPOST_KEY_PREFIX", "sp:"))
    args = parser.parse_args()
    redis = Redis(*parse_url(args.redis))
    inbound = f"{args.key_prefix}inbound"
    try:  # from 0: queries sent before the worker started are answered too
        redis.command("XGROUP", "CREATE", inbound, GROUP, "0", "MKSTREAM")
    except RedisError as e:
        if "BUSYGROUP" not in str(e):
            raise
    while True:
        for entry_id, fields in read_batch(redis, inbound):
            if fields.get("type") == "query":
                answer(redis, args.key_prefix, fields["client"], fields.get("data", ""))
            redis.command("XACK", inbound, GROUP, entry_id)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
