"""The one way supplychain speaks HTTP: bounded in time, in retries, in redirects and in bytes.

``requests`` alone is not enough for hostile servers (docs/security.md R8): its read timeout is
per socket read, so a body trickling one byte every few seconds never trips it, it follows 30
redirects, it re-sends ``Authorization`` after some redirects, and it reads ``.netrc``. This
module wraps one :class:`requests.Session` so that every call has

* connect and read timeouts, plus a total :class:`Deadline` checked before each request, before
  each retry sleep, and in the body read loop (where the socket timeout is also tightened to
  what is left, so even a hang mid-body ends at the deadline);
* retries with exponential backoff on 408/429/500/502/503/504 and connection errors, honouring
  ``Retry-After`` up to a cap; a ``Retry-After`` above the cap (or beyond the deadline) fails at
  once without sleeping;
* redirects followed by hand, at most ``Limits.redirects``, never from HTTPS to HTTP, and with
  ``Authorization`` dropped whenever the host changes;
* logs that show method, URL without its query, and status: never a header value.

Every failure is translated into the error tree (exit 3: could not check); callers turn status
codes they expect (401, 404, ...) into meaning themselves.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from supplychain._internal.httplimits import HttpLimits
from supplychain.errors import (
    DeadlineExceededError,
    LimitExceededError,
    NetworkError,
)

log = logging.getLogger("supplychain.http")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
USER_AGENT = "supplychain (+https://github.com/supplychain)"


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.x.y.z`` or ``[::1]``, with or without a port."""
    if host.startswith("["):
        literal = host[1 : host.find("]")] if "]" in host else host
    else:
        literal = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if literal.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(literal).is_loopback
    except ValueError:
        return False


class TransientNetworkError(NetworkError):
    """A connection-level failure (refused, reset, timed out) that a retry may cure.

    Policy refusals (a redirect to plain HTTP, too many redirects) are plain
    :class:`NetworkError` and are never retried.
    """


class Deadline:
    """A point in monotonic time after which a call must give up.

    One deadline covers a whole logical call (retries and body included), so the user-facing
    bound is "at most this long", not "this long per attempt".
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.seconds = seconds
        self.expires = clock() + seconds

    def remaining(self) -> float:
        return self.expires - self._clock()

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceededError(
                f"gave up after the {self.seconds:g}-second deadline", subject=what
            )


def redact_url(url: str) -> str:
    """The URL without query string, fragment or userinfo: safe to log and to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if ":" in (parts.hostname or "") and not host.startswith("["):
        host = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}{parts.path}"


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in: what "same origin" compares."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date); None if absent
    or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass
class HttpClient:
    """A bounded HTTP client; one per registry client (the session pools connections).

    ``insecure_hosts`` are ``host[:port]`` names (lower-case) that may be spoken to over plain
    HTTP besides loopback; redirects into plain HTTP are allowed only to those and to loopback.
    ``sleep`` and ``clock`` exist so tests can prove "fails without sleeping".
    """

    limits: HttpLimits = field(default_factory=HttpLimits)
    insecure_hosts: frozenset[str] = frozenset()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        # No .netrc credentials, no environment-supplied CA overrides behind our back; proxies
        # from the environment are still honoured explicitly in request().
        self.session.trust_env = False
        self.session.headers["User-Agent"] = USER_AGENT
        # Digests are over the bytes as stored; a transfer encoding would only add a
        # decompressor (and a bomb) in front of the hash. Bodies are read undecoded.
        self.session.headers["Accept-Encoding"] = "identity"

    def deadline(self, seconds: float | None = None) -> Deadline:
        """A fresh deadline of ``seconds`` (default: the per-request limit)."""
        return Deadline(
            self.limits.request_deadline if seconds is None else seconds, clock=self.clock
        )

    def close(self) -> None:
        self.session.close()

    # --- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        deadline: Deadline | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        retry: bool = True,
        follow_redirects: bool = True,
    ) -> requests.Response:
        """Send one request (with retries and redirects); the body is left unread (streamed).

        The caller owns the response and must close it (or read it with :func:`read_body` /
        :func:`iter_body`, which close it). ``what`` names the subject for error messages.
        Non-retryable statuses are returned as they are; retryable ones that persist raise
        :class:`NetworkError`.
        """
        deadline = deadline or self.deadline()
        attempt = 0
        backoff = self.limits.backoff_initial
        while True:
            deadline.check(what)
            try:
                response = self._send_following_redirects(
                    method,
                    url,
                    what,
                    deadline,
                    dict(headers or {}),
                    data,
                    params,
                    follow_redirects,
                )
            except TransientNetworkError:
                if not retry or attempt >= self.limits.retries:
                    raise
                attempt += 1
                self._pause(backoff, deadline, what, reason="connection error")
                backoff = min(backoff * 2, self.limits.backoff_max)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            if not retry or attempt >= self.limits.retries:
                raise NetworkError(
                    f"registry answered HTTP {status} after {attempt + 1} attempt(s)",
                    subject=what,
                    hint="try again later" if status in (429, 503) else None,
                )
            if retry_after is not None and retry_after > self.limits.retry_after_max:
                raise NetworkError(
                    f"registry answered HTTP {status} with Retry-After {retry_after:g} s, over "
                    f"the {self.limits.retry_after_max:g}-second cap",
                    subject=what,
                    hint="try again later",
                )
            attempt += 1
            wait = retry_after if retry_after is not None else backoff
            self._pause(wait, deadline, what, reason=f"HTTP {status}")
            backoff = min(backoff * 2, self.limits.backoff_max)

    def _pause(self, seconds: float, deadline: Deadline, what: str, *, reason: str) -> None:
        if seconds >= deadline.remaining():
            raise DeadlineExceededError(
                f"{reason}; waiting {seconds:g} s more would pass the "
                f"{deadline.seconds:g}-second deadline",
                subject=what,
            )
        log.debug("retrying %s in %.1f s after %s", what, seconds, reason)
        self.sleep(seconds)

    def _send_following_redirects(
        self,
        method: str,
        url: str,
        what: str,
        deadline: Deadline,
        headers: dict[str, str],
        data: bytes | None,
        params: Mapping[str, Any] | None,
        follow_redirects: bool,
    ) -> requests.Response:
        current = url
        current_params = params
        for _hop in range(self.limits.redirects + 1):
            response = self._send_once(
                method, current, what, deadline, headers, data, current_params
            )
            if not follow_redirects or response.status_code not in REDIRECT_STATUSES:
                return response
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise NetworkError(
                    f"HTTP {response.status_code} redirect without Location", subject=what
                )
            target = urljoin(response.url, location)
            self._check_redirect(current, target, what)
            if origin(target) != origin(current):
                # Credentials are for the host that asked for them, never for where it points.
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, data = "GET", None
            current, current_params = target, None
        raise NetworkError(f"more than {self.limits.redirects} redirects", subject=what)

    def _check_redirect(self, source: str, target: str, what: str) -> None:
        scheme, host, port = origin(target)
        if scheme not in ("http", "https"):
            raise NetworkError(f"redirect to unsupported scheme {scheme!r}", subject=what)
        if scheme == "http" and not self.plain_http_allowed(host, port):
            raise NetworkError(
                f"redirect from {redact_url(source)} to plain-HTTP {redact_url(target)} refused",
                subject=what,
            )

    def plain_http_allowed(self, host: str, port: int | None) -> bool:
        """Plain HTTP only to loopback or to a host named with --insecure-registry."""
        netloc = host if port in (None, 80) else f"{host}:{port}"
        bracketed = f"[{host}]" if ":" in host else host
        return (
            is_loopback_host(bracketed)
            or netloc in self.insecure_hosts
            or host in self.insecure_hosts
        )

    def _send_once(
        self,
        method: str,
        url: str,
        what: str,
        deadline: Deadline,
        headers: dict[str, str],
        data: bytes | None,
        params: Mapping[str, Any] | None,
    ) -> requests.Response:
        remaining = deadline.remaining()
        timeout = (
            max(0.01, min(self.limits.connect_timeout, remaining)),
            max(0.01, min(self.limits.read_timeout, remaining)),
        )
        # Loopback never goes through a proxy (tests, local registries); others follow
        # HTTPS_PROXY / NO_PROXY explicitly, since trust_env is off.
        host = urlsplit(url).hostname or ""
        loopback = is_loopback_host(f"[{host}]" if ":" in host else host)
        proxies = {} if loopback else requests.utils.get_environ_proxies(url)
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                data=data,
                params=params,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
                proxies=proxies,
            )
        except requests.exceptions.Timeout as exc:
            if deadline.remaining() <= 0:
                raise DeadlineExceededError(
                    f"gave up after the {deadline.seconds:g}-second deadline", subject=what
                ) from exc
            raise TransientNetworkError(
                f"timed out talking to {redact_url(url)}", subject=what
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise NetworkError(
                f"TLS failure talking to {redact_url(url)}",
                subject=what,
                hint="check the registry certificate; TLS verification is never turned off",
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise TransientNetworkError(
                f"cannot reach {redact_url(url)}: {type(exc).__name__}", subject=what
            ) from exc
        log.debug("%s %s -> %s", method, redact_url(url), response.status_code)
        return response


# --- bodies -----------------------------------------------------------------------------------


def _tighten_socket_timeout(response: requests.Response, seconds: float) -> None:
    """Best effort: make the next blocking read give up when the deadline does.

    requests sets the socket timeout once per request; without this a hang mid-body would last
    a whole read timeout past the deadline. The attribute path is urllib3/http.client's, so a
    different layout just keeps the coarser bound.
    """
    raw: Any = response.raw
    try:
        sock = raw._fp.fp.raw._sock
        sock.settimeout(max(0.01, seconds))
    except (AttributeError, OSError):
        return


def iter_body(
    response: requests.Response,
    *,
    cap: int,
    deadline: Deadline,
    what: str,
    read_timeout: float = 30.0,
    chunk_size: int = CHUNK,
) -> Iterator[bytes]:
    """Yield the body in chunks; stop with an error past ``cap`` bytes or past the deadline.

    ``Content-Length`` over the cap fails before reading. The response is closed at the end,
    on error, and when the consumer stops early.
    """
    try:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > cap:
            raise LimitExceededError(
                f"Content-Length {int(declared)} is over the {cap}-byte limit", subject=what
            )
        total = 0
        while True:
            deadline.check(what)
            _tighten_socket_timeout(response, min(read_timeout, deadline.remaining()))
            try:
                # read1: return what has arrived; read() would wait to fill the whole chunk,
                # so a trickling body would never reach the deadline check.
                raw: Any = response.raw
                reader = getattr(raw, "read1", None) or raw.read  # urllib3 < 2 has no read1
                chunk = reader(min(chunk_size, cap + 1 - total), decode_content=False)
            except Exception as exc:
                deadline.check(what)
                raise NetworkError(
                    f"reading the response failed: {type(exc).__name__}", subject=what
                ) from exc
            if not chunk:
                return
            total += len(chunk)
            if total > cap:
                raise LimitExceededError(
                    f"response is larger than the {cap}-byte limit", subject=what
                )
            yield chunk
    finally:
        response.close()


def read_body(
    response: requests.Response,
    *,
    cap: int,
    deadline: Deadline,
    what: str,
    read_timeout: float = 30.0,
) -> bytes:
    """The whole body (at most ``cap`` bytes) as bytes; for manifests and other small JSON."""
    return b"".join(
        iter_body(response, cap=cap, deadline=deadline, what=what, read_timeout=read_timeout)
    )
