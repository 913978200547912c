"""Typer options made from rows of the settings table (``inputs/settings.py``).

A command declares ``**given`` where the table's options go; `with_settings` replaces it in the
command's signature (what typer reads) by one parameter per row: the flags, environment
variable, help and metavar of the row, and ``None`` as the value when the command line does
not give one and the value is resolved later (``[scan]``, the default)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import GenericAlias
from typing import Annotated, Any, TypeVar

import typer

from cors_audit.inputs.settings import AnySetting

F = TypeVar("F", bound=Callable[..., Any])


def parameter(row: AnySetting, *, env: bool = True) -> inspect.Parameter:
    """The typer parameter of ``row`` (``env=False``: without its environment variable)."""
    value_type: Any = GenericAlias(list, (row.value_type,)) if row.many else row.value_type
    info: Any
    if row.argument:
        info = typer.Argument(help=row.help_text, show_default=False)
    else:
        envvar = row.envvar if env and not row.env_lines else None
        extra: dict[str, Any] = {} if row.metavar is None else {"metavar": row.metavar}
        if row.optional:
            extra["show_default"] = False
        info = typer.Option(*row.option_flags, help=row.help_text, envvar=envvar, **extra)
    annotation: Any = value_type | None if row.optional else value_type
    return inspect.Parameter(
        row.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None if row.optional else row.default,
        annotation=Annotated[annotation, info],
    )


def with_parameters(
    parameters: Sequence[inspect.Parameter], *, after: str | None = None
) -> Callable[[F], F]:
    """Put ``parameters`` in the command's signature (what typer reads), right after the
    parameter named ``after`` (default: in place of ``**given``); typer then parses them and
    passes them to the command's ``**given`` by name."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.kind is not inspect.Parameter.VAR_KEYWORD:
                params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            if param.name == after or (after is None and param.kind is param.VAR_KEYWORD):
                params.extend(parameters)
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return command

    return decorate


def with_settings(rows: Sequence[AnySetting], *, env: bool = True) -> Callable[[F], F]:
    """`with_parameters` for rows of the settings table."""
    return with_parameters([parameter(row, env=env) for row in rows])


__all__ = ["parameter", "with_parameters", "with_settings"]
