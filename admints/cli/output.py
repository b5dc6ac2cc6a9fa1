"""Printing of command reports: human text, or one JSON object with --json."""

from __future__ import annotations

import json

import click

from ..errors import DomainError


def emit(data: dict, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str, sort_keys=True))
    else:
        click.echo(text)


def fail(error: DomainError, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps({"error": error.message}, ensure_ascii=False), err=True)
    raise click.ClickException(error.message)
