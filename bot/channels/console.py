"""Console channel: the same pipeline as Telegram and WhatsApp, with a terminal as the phone."""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from typing import TextIO

from bot.app import App
from bot.channels.envelope import Envelope, Message, Result, render_plain
from flows.types import Channel, Inbound, Location

_LOCATION = re.compile(r"^/ubicacion\s+(-?\d+(?:\.\d+)?)[,\s]+(-?\d+(?:\.\d+)?)\s*$", re.I)
_MEDIA = re.compile(r"^/(audio|foto|sticker|documento|contacto)\s*$", re.I)
_MEDIA_KINDS = {
    "audio": "voice",
    "foto": "image",
    "sticker": "sticker",
    "documento": "document",
    "contacto": "contact",
}


class ConsoleSender:
    channel = Channel.CONSOLE.value
    rate_per_second = 1000.0

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, message: Message) -> Result:
        self.out.write(render_plain(message.text, message.options) + "\n\n")
        self.out.flush()
        return Result("sent")


def parse_console_line(line: str) -> Inbound:
    """Plain text, or `/ubicacion LAT LON` to share a location, or `/audio` to send media."""
    found = _LOCATION.match(line.strip())
    if found:
        location = Location(float(found.group(1)), float(found.group(2)))
        return Inbound(Channel.CONSOLE, location=location)
    media = _MEDIA.match(line.strip())
    if media:
        return Inbound(Channel.CONSOLE, media=_MEDIA_KINDS[media.group(1).lower()])
    return Inbound(Channel.CONSOLE, text=line)


def console_address() -> str:
    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):
        return "console:local"


def run_chat(app: App, stdin: TextIO, stdout: TextIO, *, interactive: bool) -> int:
    """Read messages (one per line when piped), print replies; 0 at end of input."""
    dispatcher = app.dispatcher
    address = console_address()
    if interactive:
        stdout.write(app.content.texts["console_banner"] + "\n\n")
    with asyncio.Runner() as runner:
        runner.run(dispatcher.drain())  # anything a previous run left unsent
        while True:
            try:
                line = input("tú> ") if interactive else stdin.readline()
            except EOFError:
                break
            except KeyboardInterrupt:
                stdout.write("\n")
                break
            if not interactive and line == "":
                break
            app.service.handle(Envelope(parse_console_line(line.rstrip("\r\n")), address))
            runner.run(dispatcher.drain())
    return 0


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
