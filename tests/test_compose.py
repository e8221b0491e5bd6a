"""An answer and the menu after it leave as one message where the channel's length allows."""

from __future__ import annotations

from bot.compose import LIMITS, compose
from flows.types import Option, Outbound

MENU = Outbound("menu", (Option("1", "one"), Option("2", "two")))


def test_an_answer_and_its_menu_become_one_message_with_the_menu_buttons() -> None:
    (one,) = compose([Outbound("answer"), MENU], "telegram")
    assert one.text == "answer\n\nmenu" and one.options == MENU.options


def test_a_message_with_buttons_is_never_merged_into_the_next() -> None:
    question = Outbound("question", (Option("1", "yes"),))
    assert compose([question, Outbound("after")], "whatsapp") == [question, Outbound("after")]


def test_what_would_pass_the_channel_limit_stays_apart() -> None:
    long = Outbound("x" * (LIMITS["whatsapp"] - len("menu") - 5))  # fits alone, not with menu
    assert compose([long, MENU], "whatsapp") == [long, MENU]
    assert len(compose([long, MENU], "telegram")) == 1  # Telegram takes 4000


def test_the_console_prints_replies_as_they_come() -> None:
    assert compose([Outbound("answer"), MENU], "console") == [Outbound("answer"), MENU]
