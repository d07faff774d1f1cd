#!/usr/bin/env python3
"""Interactive timestamp queries over sealpost (run timestamp_worker.py too).

Type a query such as `SetA-Two`: it goes out as a client-event `query`, and
the worker's answer comes back as events on this client's stream — the
timestamps, then END (or EMPTY for an unknown query). `exit` or end of input
quits.

    python3 timestamp_client.py --server 127.0.0.1:9300 --server-pk <base64> \\
        --id 101 --key 101.key
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import sealpost  # noqa: E402


def options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=env("SEALPOST_SERVER", "127.0.0.1:9300"))
    parser.add_argument("--server-pk", default=env("SEALPOST_SERVER_PK"))
    parser.add_argument("--id", default=env("SEALPOST_ID"), required=env("SEALPOST_ID") is None)
    parser.add_argument("--key", default=env("SEALPOST_KEY"), required=env("SEALPOST_KEY") is None)
    return parser.parse_args()


async def read_line(prompt: str) -> str:
    print(prompt, end="", flush=True)
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def main() -> None:
    args = options()
    async with sealpost.connect(args.server, args.id, args.key, server_public_key=args.server_pk) as client:
        events = client.__aiter__()
        while True:
            line = await read_line("query> ")
            query = line.strip()
            if not line or query == "exit":
                return
            if not query:
                continue
            await client.send("query", query)
            async for event in events:  # the answer: timestamps until END or EMPTY
                print(f"{event.type} {event.data}", flush=True)
                if event.type == "answer":
                    break


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except sealpost.SealpostError as e:
        sys.exit(f"sealpost: {e}")
    except KeyboardInterrupt:
        pass
