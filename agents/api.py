"""The subscriptions REST API on the worker's web server.

    POST   /subscriptions          register a webhook (body: schemas/subscription.schema.json);
                                   201 with the subscription and its secret, shown this once
    GET    /subscriptions          every subscription, without secrets
    GET    /subscriptions/{id}     one subscription, without its secret; 404 when there is none
    DELETE /subscriptions/{id}     204; deliveries still owed to it are dropped; 404 when there is none

Every request needs ``Authorization: Bearer $FRONTWIRE_API_TOKEN``. Without that setting the API
is off and answers 503 to everything, so a worker never exposes it by accident; a missing or
wrong token gets 401. Validation errors answer 400 with the reason
:class:`frontwire.subscriptions.InvalidSubscription` gives, naming the field.

Subscriptions are written to the ``webhook-subscriptions`` GlobalTable's changelog and the
response waits until the broker has the write: a 201 means every worker will see it, now and
after a restart.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import socket
from collections.abc import Container
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from faust.web import View

from agents.webhooks import subscriptions_table
from frontwire.actors import ActorDictionary
from frontwire.subscriptions import InvalidSubscription, Subscription, check_target, subscription_from_request

if TYPE_CHECKING:
    from agents.app import Pipeline

__all__ = ["MAX_BODY_BYTES", "register_api"]

log = logging.getLogger("frontwire.api")

MAX_BODY_BYTES = 64 * 1024  # a subscription request is a URL and a few filters; more is a mistake
_WRITE_TIMEOUT_S = 15.0  # how long a write may wait for the broker before the request fails with 503
_DISABLED = (
    "the subscriptions API is disabled on this worker: set FRONTWIRE_API_TOKEN to a long random string "
    "(e.g. `openssl rand -hex 32`) and send it as `Authorization: Bearer <token>`"
)


class _KnownActors(Container[str]):
    """The actor dictionary's ids, for the actors filter; loaded on the first request that names one."""

    def __contains__(self, actor_id: object) -> bool:
        if not isinstance(actor_id, str):
            return False
        try:
            _actors().get(actor_id)
        except KeyError:
            return False
        return True


@functools.cache
def _actors() -> ActorDictionary:
    return ActorDictionary.load()


def register_api(pipeline: Pipeline) -> None:
    """Add the /subscriptions views to the pipeline's app; they share the webhook agent's table."""
    app, settings = pipeline.app, pipeline.settings
    table = subscriptions_table(app, settings)
    token = settings.api_token
    allow_private = settings.webhook_allow_private == 1
    known_actors = _KnownActors()

    def refused(view: View, request: Any) -> Any | None:
        """The error response when the request may not use the API, or None when it may."""
        if not token:
            return view.error(503, _DISABLED)
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return view.error(
                401,
                "missing or wrong bearer token: send `Authorization: Bearer <FRONTWIRE_API_TOKEN>`",
                headers={"WWW-Authenticate": 'Bearer realm="frontwire"'},
            )
        return None

    async def write(key: str, value: dict[str, Any] | None) -> None:
        """Write one subscription (None deletes it) here and to the changelog; return once the broker has it."""
        if value is None:
            table.data.pop(key, None)
            future = table.send_changelog(None, key, None, value_serializer="raw")
        else:
            table.data[key] = value
            future = table.send_changelog(None, key, value)
        await asyncio.wait_for(asyncio.shield(future), timeout=_WRITE_TIMEOUT_S)

    def stored(subscription_id: str) -> Subscription | None:
        value = table.get(subscription_id)
        if value is None:
            return None
        try:
            return Subscription.from_dict(value)
        except InvalidSubscription:
            return None

    class SubscriptionsView(View):
        """The collection: list and create."""

        async def get(self, request: Any) -> Any:
            """Every subscription, oldest first, without secrets."""
            denied = refused(self, request)
            if denied is not None:
                return denied
            subscriptions = [s for s in (stored(key) for key in list(table.keys())) if s is not None]
            subscriptions.sort(key=lambda s: (s.created_at, s.id))
            return self.json({"subscriptions": [s.to_dict() for s in subscriptions]})

        async def post(self, request: Any) -> Any:
            """Validate, check the target, store; 201 with the secret, which is never shown again."""
            denied = refused(self, request)
            if denied is not None:
                return denied
            body = await self.read_request_content(request)
            if len(body) > MAX_BODY_BYTES:
                return self.error(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                return self.error(400, f"the request body is not valid JSON: {exc}")
            try:
                subscription = subscription_from_request(
                    document,
                    now=datetime.now(UTC),
                    make_secret=secrets.token_bytes,
                    make_id=secrets.token_bytes,
                    known_actors=known_actors,
                )
                await _check_target(subscription.url, allow_private=allow_private)
            except InvalidSubscription as exc:
                return self.error(400, str(exc), field=exc.field)
            try:
                await write(subscription.id, subscription.to_dict(include_secret=True))
            except TimeoutError:
                return self.error(503, "the broker did not confirm the write in time; try again")
            log.info(
                "subscription created id=%s host=%s filters=%s",
                subscription.id, urlsplit(subscription.url).hostname, orjson.dumps(subscription.filters.to_dict()).decode(),
            )
            return self.json(
                subscription.to_dict(include_secret=True),
                status=201,
                headers={"Location": f"/subscriptions/{subscription.id}"},
            )

    class SubscriptionView(View):
        """One subscription: read and delete."""

        async def get(self, request: Any, subscription_id: str) -> Any:
            """The subscription without its secret, or 404."""
            denied = refused(self, request)
            if denied is not None:
                return denied
            subscription = stored(subscription_id)
            if subscription is None:
                return self.error(404, f"no subscription {subscription_id!r}")
            return self.json(subscription.to_dict())

        async def delete(self, request: Any, subscription_id: str) -> Any:
            """Remove it everywhere; deliveries still owed to it are dropped. 204, or 404."""
            denied = refused(self, request)
            if denied is not None:
                return denied
            if table.get(subscription_id) is None:
                return self.error(404, f"no subscription {subscription_id!r}")
            try:
                await write(subscription_id, None)
            except TimeoutError:
                return self.error(503, "the broker did not confirm the write in time; try again")
            log.info("subscription deleted id=%s", subscription_id)
            return self.bytes(b"", status=204)

    app.page("/subscriptions")(SubscriptionsView)
    app.page("/subscriptions/{subscription_id}")(SubscriptionView)


async def _check_target(url: str, *, allow_private: bool) -> None:
    """check_target with the name resolved off the event loop; a name that does not resolve is refused."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidSubscription(f"host {host!r} does not resolve: {exc}", field="url") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    check_target(url, resolve=lambda _host: addresses, allow_private=allow_private)
