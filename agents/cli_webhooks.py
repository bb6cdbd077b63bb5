"""The webhook commands of the ``frontwire`` CLI: subscribe, subscriptions, unsubscribe.

They talk to a worker's REST API (agents/api.py) at FRONTWIRE_API_URL (default
``http://127.0.0.1:$FRONTWIRE_WEB_PORT``) with ``Authorization: Bearer $FRONTWIRE_API_TOKEN``;
the worker validates, so the errors a user sees are the API's own reasons. Added to the
command group with ``main.add_command(...)``.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

import click

from agents.settings import Settings

__all__ = ["subscribe", "subscriptions", "unsubscribe"]

_TIMEOUT_S = 30.0  # the API waits up to 15 s for the broker to confirm a write


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _api_url(settings: Settings) -> str:
    return (settings.api_url or f"http://127.0.0.1:{settings.web_port}").rstrip("/")


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One request to the API; (status, decoded JSON or None). Errors become ClickException with the API's reason."""
    settings = _settings()
    if not settings.api_token:
        raise click.ClickException(
            "FRONTWIRE_API_TOKEN is not set: set it to the token the worker was started with"
        )
    base = _api_url(settings)
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {settings.api_token}", "Content-Type": "application/json",
                 "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            reason = json.loads(raw).get("error") or raw.decode("utf-8", "replace")
        except (ValueError, AttributeError):
            reason = raw.decode("utf-8", "replace") or exc.reason
        raise click.ClickException(f"{exc.code} {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        raise click.ClickException(
            f"cannot reach the frontwire API at {base}: {why}. Is a worker running there? "
            "(FRONTWIRE_API_URL, FRONTWIRE_WEB_PORT)"
        ) from None


def _split(values: Iterable[str]) -> list[str]:
    """Repeated and comma-separated option values, in order, blanks dropped."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _bbox(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise click.BadParameter(f"expected min_lon,min_lat,max_lon,max_lat (4 numbers), got {len(parts)} values",
                                 param_hint="--bbox")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise click.BadParameter(f"expected 4 numbers, got {text!r}", param_hint="--bbox") from None


@click.command()
@click.argument("url")
@click.option("--country", "countries", multiple=True, metavar="CC",
              help="ISO 3166-1 alpha-2 code of the alert's place; repeat or comma-separate.")
@click.option("--actor", "actors", multiple=True, metavar="ID",
              help="Actor id (e.g. isis, sy-saa): the one that gained or lost; repeat or comma-separate.")
@click.option("--bbox", default=None, metavar="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT",
              help="Only places inside this box (degrees; write --bbox=-10,... when it starts with a minus).")
@click.option("--kinds", multiple=True, metavar="KINDS", help="Alert kinds: new, update, reversal (comma-separated).")
@click.option("--statuses", multiple=True, metavar="STATUSES", help="Event statuses: reported, claimed (comma-separated).")
@click.option("--min-corroboration", type=int, default=None, metavar="N",
              help="Only alerts that at least N distinct outlets reported.")
def subscribe(url: str, countries: tuple[str, ...], actors: tuple[str, ...], bbox: str | None,
              kinds: tuple[str, ...], statuses: tuple[str, ...], min_corroboration: int | None) -> None:
    """Register a webhook: alerts that pass every filter given are POSTed to URL, signed (Standard Webhooks).

    Prints the subscription as JSON, with its signing secret: the only time it is shown.
    """
    filters: dict[str, Any] = {}
    if countries:
        filters["countries"] = [c.upper() for c in _split(countries)]
    if actors:
        filters["actors"] = _split(actors)
    if bbox is not None:
        filters["bbox"] = _bbox(bbox)
    if kinds:
        filters["kinds"] = _split(kinds)
    if statuses:
        filters["statuses"] = _split(statuses)
    if min_corroboration is not None:
        filters["min_corroboration"] = min_corroboration
    _status, created = _call("POST", "/subscriptions", {"url": url, "filters": filters})
    click.echo(json.dumps(created, indent=2))
    click.echo(
        f"subscribed {created['id']}; keep the secret: it signs every delivery and is not shown again",
        err=True,
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
def subscriptions(as_json: bool) -> None:
    """List the webhook subscriptions (secrets are never shown after creation)."""
    _status, body = _call("GET", "/subscriptions")
    items: list[dict[str, Any]] = body["subscriptions"]
    if as_json:
        for item in items:
            click.echo(json.dumps(item))
        return
    if not items:
        click.echo("no subscriptions", err=True)
        return
    rows = [(s["id"], s["created_at"], s["url"], _filters_text(s["filters"])) for s in items]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    sys.stdout.flush()


def _filters_text(filters: dict[str, Any]) -> str:
    if not filters:
        return "(every alert)"
    parts = []
    for name, value in filters.items():
        shown = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{name}={shown}")
    return " ".join(parts)


@click.command()
@click.argument("subscription_id")
def unsubscribe(subscription_id: str) -> None:
    """Delete a webhook subscription; deliveries still owed to it are dropped."""
    _call("DELETE", f"/subscriptions/{subscription_id}")
    click.echo(f"unsubscribed {subscription_id}", err=True)
