"""Verbs over the content alone: risk, cem and intent (one message per stdin line), menus."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bot.cli.common import content_or_exit, each_line, stdin_lines

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per input line.")]


def risk(as_json: JsonFlag = False) -> None:
    """Evalúa el riesgo de cada línea de la entrada estándar."""
    from flows.risk import assess_risk

    content = content_or_exit()

    def text(result: dict[str, object]) -> str:
        return f"{result['severity']!s:<9} {result['categories']}  {result.get('evidence')}"

    each_line(as_json, lambda line: assess_risk(line, content.risk).to_json(), text)


def cem(as_json: JsonFlag = False) -> None:
    """Distrito y CEM para cada línea de la entrada estándar."""
    from flows.places import answer_for_text, cem_json

    content = content_or_exit()
    for line in stdin_lines():
        if as_json:
            out = json.dumps(cem_json(line, content.places), ensure_ascii=False)
        else:
            out = answer_for_text(line, content.places, content.orientation) + "\n"
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


def intent(as_json: JsonFlag = False) -> None:
    """Intención de cada línea de la entrada estándar."""
    from flows.intents import intent_json

    content = content_or_exit()
    each_line(
        as_json,
        lambda line: intent_json(line, content.intents),
        lambda r: f"{r['intent']}" + (f" ({r['district']})" if r.get("district") else ""),
    )


def menus(
    language: Annotated[str, typer.Option("--language", help="es, en, qu (content/lang/).")] = "es",
) -> None:
    """Diagrama Mermaid de los menús, generado desde content/menus.yaml (y content/lang/)."""
    from flows.diagram import mermaid

    typer.echo(mermaid(content_or_exit().in_language(language).menus))


COMMANDS = (risk, cem, intent, menus)
