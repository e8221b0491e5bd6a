"""Console channel: the same pipeline as Telegram and WhatsApp, with a terminal as the phone."""

from __future__ import annotations

import asyncio
import getpass
import io
import re
import sys
from typing import TextIO

from bot.app import App
from bot.channels.envelope import Envelope, Message, Result, position, render_plain, storable_text
from flows.types import Channel, Inbound

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
    line = storable_text(line)
    found = _LOCATION.match(line.strip())
    if found:
        location = position(float(found.group(1)), float(found.group(2)))
        if location is not None:
            return Inbound(Channel.CONSOLE, location=location)
    media = _MEDIA.match(line.strip())
    if media:
        return Inbound(Channel.CONSOLE, media=_MEDIA_KINDS[media.group(1).lower()])
    return Inbound(Channel.CONSOLE, text=line)


def tolerate_undecodable(stream: TextIO) -> None:
    """Bytes that are not UTF-8 (a Latin-1 terminal, a pasted file) become U+FFFD instead of
    ending the program with UnicodeDecodeError."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")


def console_address() -> str:
    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):
        return "console:local"


def run_chat(app: App, stdin: TextIO, stdout: TextIO, *, interactive: bool) -> int:
    """Read messages (one per line when piped), print replies; 0 at end of input."""
    dispatcher = app.dispatcher
    address = console_address()
    tolerate_undecodable(stdin)
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
