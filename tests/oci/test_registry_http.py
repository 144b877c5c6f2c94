"""The bounded HTTP layer on its own: deadlines, Retry-After, redaction, plain-HTTP rules."""

from __future__ import annotations

import email.utils
import time

import pytest

from supplychain._internal.http import (
    Deadline,
    HttpClient,
    is_loopback_host,
    origin,
    parse_retry_after,
    redact_url,
)
from supplychain.errors import DeadlineExceededError, ExitCode


def test_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 120 ") == 120.0
    now = time.time()
    future = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(future, now=now) or 0) <= 31
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None


def test_redact_url_drops_query_and_userinfo() -> None:
    assert (
        redact_url("https://user:pw@reg.example:8443/v2/a/blobs/uploads/x?_state=SECRET&digest=d")
        == "https://reg.example:8443/v2/a/blobs/uploads/x"
    )
    assert redact_url("http://[::1]:5000/v2/") == "http://[::1]:5000/v2/"


def test_origin_fills_default_ports() -> None:
    assert origin("https://a.example/x") == origin("https://A.example:443/y")
    assert origin("http://a.example/x") != origin("https://a.example/x")
    assert origin("http://a.example:5000/") != origin("http://a.example:5001/")


def test_deadline_with_fake_clock() -> None:
    now = [100.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    deadline.check("thing")
    now[0] = 105.5
    with pytest.raises(DeadlineExceededError) as info:
        deadline.check("thing")
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert "thing" in info.value.diagnostics()


def test_plain_http_only_for_loopback_or_insecure() -> None:
    client = HttpClient(insecure_hosts=frozenset({"reg.internal:5000"}))
    assert client.plain_http_allowed("127.0.0.1", 5000)
    assert client.plain_http_allowed("localhost", None)
    assert client.plain_http_allowed("::1", 80)
    assert client.plain_http_allowed("reg.internal", 5000)
    assert not client.plain_http_allowed("reg.internal", 5001)
    assert not client.plain_http_allowed("evil.example", 80)


def test_loopback_hosts() -> None:
    assert is_loopback_host("127.0.0.2:80")
    assert not is_loopback_host("127.example")


def test_retry_sleep_that_would_pass_the_deadline_fails_now() -> None:
    slept: list[float] = []
    client = HttpClient(sleep=slept.append)
    deadline = client.deadline(1.0)
    with pytest.raises(DeadlineExceededError):
        client._pause(5.0, deadline, "x", reason="HTTP 503")
    assert slept == []


def test_loopback_never_uses_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.server
    import threading

    class Ok(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        response = HttpClient().request(
            "GET", f"http://127.0.0.1:{server.server_address[1]}/", what="x"
        )
        assert response.status_code == 200
        response.close()
    finally:
        server.shutdown()
        server.server_close()


def test_bodies_are_requested_without_transfer_encoding() -> None:
    assert HttpClient().session.headers["Accept-Encoding"] == "identity"


def test_http_bounds_have_one_home() -> None:
    """The registry's limits are the HTTP bounds plus size caps, not a second copy of them."""
    from dataclasses import fields

    from supplychain._internal.httplimits import HttpLimits
    from supplychain.oci.limits import DEFAULT_LIMITS, Limits

    assert issubclass(Limits, HttpLimits)
    http_defaults = HttpClient().limits
    for spec in fields(HttpLimits):
        assert getattr(DEFAULT_LIMITS, spec.name) == getattr(http_defaults, spec.name)
    assert Limits(retries=1).retries == 1
