#!/usr/bin/env python3
"""Sends one request and prints each reply (default: the server's own `echo`).

`echo` answers with the params as JSON text (and `serverTs`), `time` with the
server's time; any other method needs a worker reading `sp:requests:<method>`
(docs/PROTOCOL.md §6).

    python3 request_echo.py --server 127.0.0.1:9300 --server-pk <base64> --id 101 --key 101.key \\
        [--method echo] [--params '{"hello": "world"}']
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import sealpost  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    async with sealpost.connect(args.server, args.id, args.key, server_public_key=args.server_pk) as client:
        reply = await client.request(
            args.method, json.loads(args.params), timeout=args.timeout,
            on_partial=lambda part: print(f"partial: {part.data}", flush=True),
        )
        extra = {k: v for k, v in reply.fields.items() if k not in ("type", "re", "data")}
        print(f"reply: {reply.data}" + (f" {json.dumps(extra)}" if extra else ""), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("SEALPOST_SERVER", "127.0.0.1:9300"))
    parser.add_argument("--server-pk", default=os.environ.get("SEALPOST_SERVER_PK"))
    parser.add_argument("--id", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--method", default="echo")
    parser.add_argument("--params", default='{"hello": "world"}', help="any JSON value")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds")
    try:
        asyncio.run(main(parser.parse_args()))
    except sealpost.SealpostError as e:  # RequestTimeout included
        sys.exit(f"sealpost: {e}")
    except KeyboardInterrupt:
        pass
