#!/usr/bin/env python3
"""The smallest sealpost listener: prints each event as one JSON line and acks it.

    python3 listener.py --server 127.0.0.1:9300 --server-pk <base64> --id 101 --key 101.key
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
        async for event in client:  # acked when the next one is asked for
            print(json.dumps({"eventId": event.event_id, **event.fields}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("SEALPOST_SERVER", "127.0.0.1:9300"))
    parser.add_argument("--server-pk", default=os.environ.get("SEALPOST_SERVER_PK"))
    parser.add_argument("--id", required=True)
    parser.add_argument("--key", required=True)
    try:
        asyncio.run(main(parser.parse_args()))
    except sealpost.SealpostError as e:
        sys.exit(f"sealpost: {e}")
    except KeyboardInterrupt:
        pass
