"""The bot's processes: channels, store, service, web and the command line."""

import sys

if "httpx" not in sys.modules:
    # httpx (python-telegram-bot's transport) imports its command-line client with the package
    # when click, rich and pygments are installed (they are: uvicorn's and typer's): ~4 MiB in
    # every process for a client nobody runs here. Marked absent, httpx takes the fallback it
    # ships for an install without its `cli` extra (only `httpx.main` differs).
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
