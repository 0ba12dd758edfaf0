"""Job scripts that Whittle runs in its Python toolchain. Each speaks the JSON-lines protocol in protocol.py."""
