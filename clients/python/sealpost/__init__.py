"""sealpost: asyncio client for encrypted event delivery (protocol sealpost/1).

    async with sealpost.connect("127.0.0.1:9300", "101", "101.key",
                                server_public_key="<base64>") as client:
        async for event in client:   # acked once the loop body is done with it
            ...
        await client.send("telemetry", "21.5C")
        await client.send("chat", "hi", to="102")          # or to="group:lobby"
        reply = await client.request("echo", {"x": 1})    # reply.data, reply.parts
"""

from .client import Client, Options, connect
from .errors import RequestTimeout, SealpostError
from .keyfile import KeyFileError
from .messages import Event, Reply

__all__ = [
    "Client", "Options", "connect", "Event", "Reply", "SealpostError", "RequestTimeout", "KeyFileError",
]
