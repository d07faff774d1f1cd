"""sealpost: asyncio client for encrypted event delivery (protocol sealpost/1).

    async with sealpost.connect("127.0.0.1:9300", "101", "101.key",
                                server_public_key="<base64>") as client:
        async for event in client:   # acked once the loop body is done with it
            ...
        await client.send("telemetry", "21.5C")
"""

from .client import Client, Options, connect
from .errors import SealpostError
from .keyfile import KeyFileError
from .messages import Event

__all__ = ["Client", "Options", "connect", "Event", "SealpostError", "KeyFileError"]
