"""Command-line usage errors in Chinese: click's own messages are English (its gettext catalog
has no Chinese), and the office staff who run ``policyqa milestone`` or ``progress`` read Chinese.
Messages the commands raise themselves (``typer.BadParameter("…")``) are Chinese already and kept.

Typer carries its own copy of click's exceptions and exports only some of them, so the kinds are
told apart by class name (the same names in click and in Typer's copy).
"""

from __future__ import annotations

from typing import Any

import typer


def _kind(exc: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def is_usage_error(exc: typer.TyperException) -> bool:
    """A mistake in how the command was typed (not a ``--help`` shown for no arguments)."""
    return _kind(exc, "UsageError") and not _kind(exc, "NoArgsIsHelpError")


def _name(param: Any, hint: str | None) -> str:
    if param is None:
        return hint or ""
    if _kind(param, "Argument"):
        return str(param.human_readable_name)
    return " / ".join(param.opts) or param.name or ""


def explain(exc: Any) -> str:
    """The message of a usage error and where to find help, in Chinese."""
    detail = str(exc.message)
    if _kind(exc, "NoSuchOption"):
        what = f"没有这个选项：{exc.option_name}"
        if exc.possibilities:
            what += f"（是不是 {'、'.join(sorted(exc.possibilities))}？）"
    elif _kind(exc, "MissingParameter"):
        what = f"缺少参数：{_name(exc.param, exc.param_hint)}"
    elif _kind(exc, "BadParameter"):
        name = _name(exc.param, exc.param_hint)
        if not name:  # raised by a command itself, in Chinese
            what = detail
        else:
            what = f"参数 {name} 的值无效"
            what += f"（{detail}）" if detail.isascii() else f"：{detail}"
    elif detail.startswith("No such command"):
        what = f"没有这个命令：{detail.removeprefix('No such command').strip(' .')}"
    elif detail.startswith("Got unexpected extra argument"):
        what = f"多余的参数：{detail[detail.rfind('(') + 1 :].rstrip(')')}"
    else:
        what = f"命令用法不对（{detail}）" if detail.isascii() else detail
    command = exc.ctx.command_path if exc.ctx else "policyqa"
    return f"错误：{what}\n用法见：{command} --help"


def guarded(action):  # type: ignore[no-untyped-def]
    """``action()``, or the registry's refusal (in Chinese) on stderr and exit code 1."""
    from registry.service import RegistryError

    try:
        return action()
    except RegistryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
