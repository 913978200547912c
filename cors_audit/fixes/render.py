"""What the snippet renderers share: a snippet is a list of lines, each tagged with the `Setting`
it configures (so the lines that fix a rule can be marked), rendered from a stack's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from cors_audit.fixes.plan import Settings
from cors_audit.judging.rules import Setting

Line = tuple[str, Setting | None]
"""One line of a snippet and the setting it configures (``None``: scaffolding)."""


def strs(settings: Settings, key: str) -> list[str]:
    """The list setting ``key`` as strings."""
    value = settings[key]
    assert isinstance(value, list)
    return [str(item) for item in value]


def integer(settings: Settings, key: str) -> int:
    """The integer setting ``key``."""
    value = settings[key]
    assert isinstance(value, int)
    return value


def mark(lines: Sequence[Line], focus: tuple[Setting, ...], rule_id: str, comment: str) -> str:
    """The snippet text, the lines of the ``focus`` settings ending in ``<comment> <- rule_id``."""
    out = []
    for text, setting in lines:
        if setting is not None and setting in focus:
            out.append(f"{text}  {comment} <- {rule_id}")
        else:
            out.append(text)
    return "\n".join(out) + "\n"


_WIDTH: Final = 99


def entry(
    indent: str,
    head: str,
    value: object,
    tail: str,
    render: Callable[[object], str],
    step: str = "    ",
) -> str:
    """``indent + head + value + tail``, with a list value spread over lines when too long."""
    line = f"{indent}{head}{render(value)}{tail}"
    if len(line) <= _WIDTH or not isinstance(value, list) or not value:
        return line
    items = [f"{indent}{step}{render(item)}," for item in value]
    return "\n".join([f"{indent}{head}[", *items, f"{indent}]{tail}"])


@dataclass(frozen=True, slots=True)
class Renderer:
    """How one stack's snippet is written, and its pitfalls."""

    label: str
    language: str
    comment: str
    render: Callable[[Settings, tuple[Setting, ...]], list[Line]]
    notes: tuple[str, ...]
