#!/usr/bin/env python3
"""What one Python client process (clients/python, public API only) can do;
the same modes and JSON line as bench_client.cpp and bench_client.js.

    python3 bench_client.py recv --server H:P --server-pk PK --id ID --key FILE --events N
    python3 bench_client.py handshakes --server H:P --server-pk PK --id ID --key FILE --seconds S

recv: the clock runs from the first event to the last one received (the
server keeps at most its window unacked, so acks pace it). handshakes:
connect -> welcome -> close, one after another. CPU is this process's
user + system time.
"""

import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

import sealpost  # noqa: E402


def connect(args):
    return sealpost.connect(args.server, args.id, args.key, server_public_key=args.server_pk)


async def recv(args):
    received, t_first, cpu_first = 0, 0.0, 0.0
    async with connect(args) as client:
        async for _event in client:  # acked when the next one is asked for, or on leaving
            received += 1
            if received == 1:
                t_first, cpu_first = time.monotonic(), time.process_time()
            if received == args.events:
                break
        t_last, cpu_last = time.monotonic(), time.process_time()
    n, secs = received - 1, t_last - t_first
    return {"bench": "client_recv", "client": "python", "events": received, "seconds": secs,
            "events_per_s": n / secs if secs > 0 else 0,
            "cpu_us_per_event": (cpu_last - cpu_first) * 1e6 / n if n > 0 else 0, "error": ""}


async def handshakes(args):
    t0, cpu0 = time.monotonic(), time.process_time()
    done = 0
    while time.monotonic() < t0 + args.seconds:
        async with connect(args) as client:
            await client.wait_connected()
            done += 1
    secs = time.monotonic() - t0
    return {"bench": "client_handshakes", "client": "python", "handshakes": done, "seconds": secs,
            "handshakes_per_s": done / secs if secs > 0 else 0,
            "cpu_us_per_handshake": (time.process_time() - cpu0) * 1e6 / done if done else 0,
            "error": ""}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["recv", "handshakes"])
    parser.add_argument("--server", default="127.0.0.1:9300")
    parser.add_argument("--server-pk", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    try:
        result = asyncio.run(recv(args) if args.mode == "recv" else handshakes(args))
    except sealpost.SealpostError as e:
        print(json.dumps({"bench": "client", "client": "python", "error": e.code}), flush=True)
        sys.exit(1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
