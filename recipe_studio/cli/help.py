"""Help text that reads like a person wrote it.

typer 0.29 shows every parameter's Python type (`<bool>`, `<list[str]>`, `<int range>
[x>=1]`) and writes required arguments as `{paths}`. :class:`HelpGroup` (the app's group
class) gives every option and argument of every command a plain display instead: a flag
shows nothing, a value shows its metavar (`N`, `FILE`, `text|json`), an argument its name
in capitals (`PATH...`), and ranges are said in the help text where they matter. It also
joins the lines of each paragraph of a command's docstring, so that the terminal, not the
source file, decides where a sentence breaks.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from recipe_studio.cli import coerce

#: metavars for options that name none, by the Python type of their value
_BY_TYPE = {int: "N", float: "NUMBER", str: "TEXT"}


def _choices(param: Any) -> list[str] | None:
    desc = getattr(param, "type_descriptor", None)
    if desc is not None and desc.is_choice and desc.choices:
        return [str(getattr(c, "value", c)) for c in desc.choices]
    return None


class HumanOption(TyperOption):
    get_runtime_param = coerce.get_runtime_param  # no pydantic for plain values

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        choices = _choices(self)
        if choices:
            return "|".join(choices)
        annotation = getattr(self.type_descriptor, "annotation", None)
        return _BY_TYPE.get(annotation, "VALUE")

    def display_type(self, ctx: Any) -> str:
        return self.display_type_rich(ctx) or ""

    def _get_number_range_help_str(self) -> str | None:
        return None


class HumanArgument(TyperArgument):
    get_runtime_param = coerce.get_runtime_param

    def _name(self) -> str:
        return self.metavar or (self.name or "").upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def display_type(self, ctx: Any) -> str:
        return ""

    def _rich_display_name(self) -> str:
        return self._name() + ("..." if self.nargs != 1 else "")

    @property
    def display_name_raw(self) -> str:
        return self._name()

    def _usage_display_name(self) -> str:
        name = self._name() + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    def _get_number_range_help_str(self) -> str | None:
        return None


def reflow(text: str | None) -> str | None:
    """Join the lines of each paragraph (paragraphs are separated by a blank line)."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", p.strip()) for p in paragraphs)


def _humanize_param(param: Any) -> Any:
    if type(param) is TyperOption:
        param.__class__ = HumanOption
    elif type(param) is TyperArgument:
        param.__class__ = HumanArgument
    return param


class HumanCommand(TyperCommand):
    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        return _humanize_param(option) if option is not None else None


def humanize(command: Any) -> Any:
    """Give a command's parameters the plain display above (in place; idempotent)."""
    if getattr(command, "_humanized", False):
        return command
    for param in command.params:
        _humanize_param(param)
    if type(command) is TyperCommand:
        command.__class__ = HumanCommand
    command.help = reflow(command.help)
    command._humanized = True  # type: ignore[attr-defined]
    return command


class HelpGroup(TyperGroup):
    """The `recipe-studio` group: every command it hands out has plain help."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        return _humanize_param(option) if option is not None else None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        humanize(self)

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands in the order of `COMMANDS` (not in the order their modules were
        imported, which differs between a cold start and a long-lived process)."""
        from recipe_studio.cli.commands import COMMANDS

        order = {name: i for i, name in enumerate(COMMANDS)}
        return sorted(super().list_commands(ctx), key=lambda n: (order.get(n, len(order)), n))

    def get_command(self, ctx: Any, cmd_name: str) -> Any | None:
        command = super().get_command(ctx, cmd_name)
        return humanize(command) if command is not None else None
