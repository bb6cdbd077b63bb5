"""The ``frontwire`` command line: broker, run, worker, publish, tail, extract, settings."""

from __future__ import annotations

import base64
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
import orjson

from agents.cli_webhooks import subscribe, subscriptions, unsubscribe
from agents.settings import Settings, settings_table

__all__ = ["main"]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """frontwire: territorial-control alerts from a stream of news articles.

    Configuration comes from FRONTWIRE_* environment variables (`frontwire settings`).
    """


@main.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 [default: FRONTWIRE_EMBEDDED_PORT or 9092].")
def broker(port: int | None) -> None:
    """Run the embedded Kafka-protocol broker (Tansu, memory only) until Ctrl-C."""
    from agents.broker import BrokerError, EmbeddedBroker
    from agents.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    embedded = EmbeddedBroker(port=port or settings.embedded_port)
    try:
        embedded.start()
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from None
    # A signal only passes on to the broker; the wait below returns and `stop` then reaps it
    # (waiting inside the handler would deadlock with the wait it interrupts).
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda _signum, _frame: embedded.terminate())
    click.echo(f"frontwire broker ready on kafka://{embedded.bootstrap} (memory only; Ctrl-C stops it)", err=True)
    try:
        code = embedded.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        embedded.stop()
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise click.ClickException(f"the broker exited with code {code}:\n{embedded.output()}")


@main.command()
def run() -> None:
    """Start the embedded broker (unless FRONTWIRE_BROKER is set), create the topics and run a worker."""
    from agents.broker import BrokerError, EmbeddedBroker
    from agents.logs import configure_logging
    from agents.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level)
    embedded = None
    if settings.broker is None:
        embedded = EmbeddedBroker(port=settings.embedded_port)
        try:
            embedded.start()
        except BrokerError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        run_worker(settings, on_ready=lambda: _print_ready(settings))
    finally:
        if embedded is not None:
            embedded.stop()


@main.command()
def worker() -> None:
    """Run a worker against FRONTWIRE_BROKER (kafka://host:port)."""
    from agents.logs import configure_logging
    from agents.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level)
    run_worker(settings, on_ready=lambda: _print_ready(settings))


def _print_ready(settings: Settings) -> None:
    click.echo(
        f"frontwire ready: publish articles to {settings.topics.raw} on kafka://{settings.bootstrap} "
        f"(web: http://{settings.web_host}:{settings.web_port}/health)",
        err=False,
    )
    sys.stdout.flush()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=Path))
@click.option("--topic", default=None, help="Topic to write to [default: the raw-article topic].")
@click.option(
    "--base-url",
    default="https://localhost/articles/",
    show_default=True,
    help="URL prefix for .txt/.html files, which carry no URL of their own.",
)
def publish(paths: tuple[Path, ...], topic: str | None, base_url: str) -> None:
    """Send articles to Kafka: JSON lines, a .json file (object or array), or folders of .json/.txt/.html.

    Use - to read JSON lines from standard input. Lines are sent as they are: a malformed one
    reaches the dead-letter topic with its reason, so nothing is lost silently.
    """
    from tqdm import tqdm

    from agents.kafkaio import BrokerUnavailable, produce

    settings = _settings()
    target = topic or settings.topics.raw
    messages = list(_messages_from_paths(paths, base_url))
    with tqdm(total=len(messages), unit="article", file=sys.stderr, disable=None) as progress:
        try:
            sent, errors = produce(settings.bootstrap, target, messages, on_sent=lambda: progress.update(1))
        except BrokerUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"published {sent} of {len(messages)} messages to {target} on {settings.bootstrap}", err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} messages were not accepted by the broker; first: {errors[0]}")


def _messages_from_paths(paths: tuple[Path, ...], base_url: str) -> Iterator[tuple[bytes | None, bytes]]:
    for path in paths:
        if str(path) == "-":
            yield from _json_lines(sys.stdin.buffer)
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix.lower() in (".json", ".jsonl", ".txt", ".html", ".htm") and child.is_file():
                    yield from _messages_from_file(child, base_url, relative_to=path)
        elif path.is_file():
            yield from _messages_from_file(path, base_url, relative_to=path.parent)
        else:
            raise click.BadParameter(f"{path} is neither a file nor a folder", param_hint="PATHS")


def _messages_from_file(path: Path, base_url: str, *, relative_to: Path) -> Iterator[tuple[bytes | None, bytes]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open("rb") as handle:
            yield from _json_lines(handle)
    elif suffix == ".json":
        data = path.read_bytes()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            # Not one document: JSON lines under a .json name; lines go as they are.
            with path.open("rb") as handle:
                yield from _json_lines(handle)
            return
        for item in document if isinstance(document, list) else [document]:
            yield _key_of(item), orjson.dumps(item)
    else:
        url = base_url + path.relative_to(relative_to).as_posix()
        content = path.read_text(encoding="utf-8", errors="replace")
        article: dict[str, Any] = {"url": url}
        if suffix == ".txt":
            title, _, body = content.partition("\n\n")
            if body.strip() and "\n" not in title.strip():
                article.update(title=title.strip(), text=body)
            else:
                article["text"] = content
        else:
            article["html"] = content
        yield url.encode(), orjson.dumps(article)


def _json_lines(handle: IO[bytes]) -> Iterator[tuple[bytes | None, bytes]]:
    for line in handle:
        stripped = line.strip()
        if not stripped:
            continue
        try:
            key = _key_of(orjson.loads(stripped))
        except orjson.JSONDecodeError:
            key = None
        yield key, stripped


def _key_of(item: object) -> bytes | None:
    if isinstance(item, dict):
        key = item.get("id") or item.get("url")
        if isinstance(key, str | int):
            return str(key).encode()
    return None


@main.command()
@click.argument("topic")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest message instead of new ones.")
@click.option("--max", "max_messages", type=int, default=None, help="Stop after N messages.")
@click.option("--idle-timeout-s", type=float, default=None, help="Stop when no message came for this many seconds.")
@click.option("--raw-prefix/--no-raw-prefix", default=True, help="Prepend the configured topic prefix to TOPIC.")
def tail(topic: str, from_beginning: bool, max_messages: int | None, idle_timeout_s: float | None, raw_prefix: bool) -> None:
    """Print the messages of TOPIC as JSON lines (values; non-JSON values as {"bytes_base64": ...})."""
    from agents.kafkaio import BrokerUnavailable, iter_topic

    settings = _settings()
    name = settings.topic_prefix + topic if raw_prefix and not topic.startswith(settings.topic_prefix) else topic
    printed = 0
    try:
        for message in iter_topic(
            settings.bootstrap, name, from_beginning=from_beginning, idle_timeout_s=idle_timeout_s
        ):
            sys.stdout.write(_render(message.value))
            sys.stdout.flush()
            printed += 1
            if max_messages is not None and printed >= max_messages:
                break
    except (LookupError, BrokerUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


def _render(value: bytes | None) -> str:
    if value is None:
        return "null\n"
    try:
        return orjson.dumps(orjson.loads(value)).decode() + "\n"
    except orjson.JSONDecodeError:
        return orjson.dumps({"bytes_base64": base64.b64encode(value).decode()}).decode() + "\n"


@main.command()
@click.argument("source", type=click.File("rb"), default="-")
def extract(source: IO[bytes]) -> None:
    """Enrich raw articles offline, no broker: JSON lines, or one JSON object or array, from SOURCE or stdin.

    Writes one enriched article per input as a JSON line, in input order. A bad input becomes
    an error line on stderr naming its line (or item) number; the batch goes on.
    """
    from tqdm import tqdm

    from frontwire.enrich import Enricher
    from frontwire.errors import InvalidArticle
    from frontwire.ingest import article_from_dict, parse_raw_article

    enricher = Enricher.shared()
    now = datetime.now(UTC)
    seen: dict[str, Any] = {}  # near-duplicate index for this batch: a copy names its first article
    done = failed = 0
    with tqdm(unit="article", file=sys.stderr, disable=None) as progress:
        for where, item in _extract_inputs(source):
            try:
                if isinstance(item, bytes):
                    article = parse_raw_article(item, received_at=now)
                elif isinstance(item, dict):
                    article = article_from_dict(item, received_at=now)
                else:
                    raise InvalidArticle(f"expected a JSON object, got {type(item).__name__}")
                enriched = enricher.enrich(article, seen=seen)
            except Exception as exc:  # noqa: BLE001 -- one bad input must not end the batch
                click.echo(f"{where}: {exc}", err=True)
                failed += 1
                continue
            sys.stdout.buffer.write(orjson.dumps(enriched.to_dict()) + b"\n")
            done += 1
            progress.update(1)
    sys.stdout.flush()
    click.echo(f"extracted {done} articles, {failed} errors", err=True)
    if failed:
        sys.exit(1)


def _extract_inputs(source: IO[bytes]) -> Iterator[tuple[str, object]]:
    """(where, item): raw bytes per JSON line, or decoded items of one JSON document."""
    first = b""
    for first in iter(lambda: source.read(1), b""):
        if not first.isspace():
            break
    rest = source.read() if first == b"[" else None
    if first == b"[":
        try:
            document = orjson.loads(first + (rest or b""))
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(f"input is not a valid JSON array: {exc}") from None
        for index, item in enumerate(document, start=1):
            yield f"item {index}", item
        return
    lines = (first + source.read()).split(b"\n")
    if len(lines) > 1 and _is_one_document(lines):
        yield "document", orjson.loads(b"\n".join(lines))
        return
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield f"line {number}", line


def _is_one_document(lines: list[bytes]) -> bool:
    try:
        orjson.loads(lines[0])
        return False
    except orjson.JSONDecodeError:
        pass
    try:
        orjson.loads(b"\n".join(lines))
        return True
    except orjson.JSONDecodeError:
        return False


@main.command()
@click.option("--limit", type=int, default=None, help="Publish only the first N articles.")
@click.option("--show", type=int, default=12, show_default=True, help="Enriched articles to print.")
def demo(limit: int | None, show: int) -> None:
    """Run the pipeline on the embedded broker with real articles and print the output and alerts."""
    from agents.demo import run_demo
    from agents.logs import configure_logging

    settings = _settings()
    configure_logging("warning")
    run_demo(settings, limit=limit, show=show)


@main.command(name="settings")
@click.option("--markdown", is_flag=True, help="Print the README's configuration table.")
def settings_command(markdown: bool) -> None:
    """Show every setting with its environment variable, default and current value."""
    if markdown:
        click.echo(settings_table())
        return
    settings = _settings()
    for line in settings_table().splitlines()[2:]:
        env = line.split("`")[1]
        click.echo(f"{env}")
    click.echo(f"bootstrap={settings.bootstrap} topics={','.join(settings.topics.all())}")


main.add_command(subscribe)
main.add_command(subscriptions)
main.add_command(unsubscribe)

if __name__ == "__main__":
    main()
