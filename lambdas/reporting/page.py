"""index.html: the report as a self-contained contact sheet, from Jinja2 templates.

The markup is in ``templates/report.html.j2`` (the item cards: ``templates/cards.html.j2``) and
the stylesheet in ``templates/report.css``, inlined so the page needs no other file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from lambdas.reporting.model import STATUSES, Report

TEMPLATES = Path(__file__).with_name("templates")


def to_html(report: Report) -> str:
    """index.html: a self-contained contact sheet (before / after, status, reason).

    No external assets and no script: every value is escaped (autoescape), local
    links are percent-encoded, images load lazily.
    """
    return _environment().get_template("report.html.j2").render(report=report)


@cache
def _environment() -> Environment:
    """The templates' environment, made once: autoescape on, unknown names an error."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(href=href, display_time=display_time)
    environment.globals.update(
        statuses=STATUSES,
        style=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
    )
    return environment


def href(url: str) -> str:
    """A link as the page writes it: local paths percent-encoded (``#``, ``%``, ``?``,
    ``:`` are ordinary characters in file names), presigned URLs kept as they are."""
    if url.startswith(("https://", "http://")):
        return url
    return quote(url, safe="/")


def display_time(stamp: str) -> str | None:
    """``2026-11-24 12:03 UTC`` (a time without a zone as written, without "UTC");
    None when ``stamp`` is not an ISO 8601 time."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
