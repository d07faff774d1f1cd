"""sealpost client."""
