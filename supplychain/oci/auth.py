"""Registry credentials and the token handshake, with secrets kept out of every message.

Where credentials come from (first match wins, like the Docker CLI):

1. ``credHelpers[host]`` in the Docker config → run ``docker-credential-<name> get``;
2. ``auths[host]`` (``auth`` = base64 ``user:password``, or ``username``/``password``, or
   ``identitytoken``); Docker Hub's key is ``https://index.docker.io/v1/``;
3. ``credsStore`` → run that helper for any host.

The config is ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``; a missing file
means anonymous. A malformed one is a usage error naming the file (never its content).

How they are used (:class:`Authenticator`): a request goes out anonymously or with a cached
token; a ``401`` carries ``WWW-Authenticate``. ``Basic`` → send the credentials (HTTPS or
loopback only). ``Bearer realm=…,service=…,scope=…`` → ask the realm for a token for that scope,
with the credentials as Basic auth (again HTTPS or loopback only), and cache the token per
(realm, service, scope) until it expires.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from supplychain._internal import strictjson
from supplychain._internal.http import Deadline, HttpClient, read_body
from supplychain.errors import AuthError, InvalidInputError, UsageError

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
TOKEN_RESPONSE_MAX = 1024 * 1024
HELPER_TIMEOUT = 30.0
CONFIG_MAX = 4 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """A username and secret (a password, or an identity token when ``identity_token``)."""

    username: str
    secret: str = field(repr=False)
    identity_token: bool = False

    def basic_header(self) -> str:
        pair = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, secret=<redacted>)"


class CredentialSource(Protocol):
    """Anything that can say which credentials to use for a registry host."""

    def lookup(self, host: str) -> Credentials | None: ...


class Anonymous:
    """No credentials for anyone."""

    def lookup(self, host: str) -> Credentials | None:
        return None


@dataclass(frozen=True)
class StaticCredentials:
    """Fixed credentials per host (``--username``/``--password-stdin``, tests)."""

    by_host: Mapping[str, Credentials]

    def lookup(self, host: str) -> Credentials | None:
        return self.by_host.get(host) or (
            self.by_host.get("docker.io") if host in _HUB_HOSTS else None
        )


HelperRunner = Callable[[str, str], "Credentials | None"]


def run_credential_helper(name: str, host: str) -> Credentials | None:
    """``docker-credential-<name> get`` with the host on stdin; None when it has nothing.

    The helper's stderr/stdout are never copied into our messages: they may echo secrets.
    """
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise UsageError("invalid credential helper name", subject=f"credential helper {name!r}")
    program = shutil.which(f"docker-credential-{name}")
    if program is None:
        raise AuthError(
            f"credential helper docker-credential-{name} is not installed",
            subject=host,
            hint="install it or remove it from the Docker config",
        )
    try:
        done = subprocess.run(
            [program, "get"],
            input=host.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AuthError(
            f"credential helper docker-credential-{name} timed out", subject=host
        ) from exc
    if done.returncode != 0:
        if b"credentials not found" in done.stdout.lower() + done.stderr.lower():
            return None
        raise AuthError(
            f"credential helper docker-credential-{name} failed (exit {done.returncode})",
            subject=host,
        )
    try:
        answer = json.loads(done.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthError(
            f"credential helper docker-credential-{name} gave an unreadable answer", subject=host
        ) from exc
    if not isinstance(username, str) or not isinstance(secret, str):
        raise AuthError(
            f"credential helper docker-credential-{name} gave an unreadable answer", subject=host
        )
    if not secret:
        return None
    if username == "<token>":
        return Credentials(username="<token>", secret=secret, identity_token=True)
    return Credentials(username=username, secret=secret)


@dataclass
class DockerConfig:
    """Credentials as the Docker CLI would find them (see the module docstring)."""

    path: Path
    auths: dict[str, Any] = field(default_factory=dict)
    creds_store: str | None = None
    cred_helpers: dict[str, str] = field(default_factory=dict)
    run_helper: HelperRunner = run_credential_helper

    @classmethod
    def default_path(cls, env: Mapping[str, str] | None = None) -> Path:
        env = os.environ if env is None else env
        base = env.get("DOCKER_CONFIG")
        if base:
            return Path(base) / "config.json"
        return Path(env.get("HOME") or Path.home()) / ".docker" / "config.json"

    @classmethod
    def load(
        cls, path: Path | None = None, *, env: Mapping[str, str] | None = None
    ) -> DockerConfig:
        """Read the config; a missing file is an empty config (anonymous)."""
        path = path or cls.default_path(env)
        try:
            with path.open("rb") as handle:
                raw = handle.read(CONFIG_MAX + 1)
        except FileNotFoundError:
            return cls(path=path)
        except OSError as exc:
            raise UsageError(
                f"cannot read the Docker config: {exc.strerror}", subject=str(path)
            ) from exc
        if len(raw) > CONFIG_MAX:
            raise UsageError("Docker config is over 4 MiB", subject=str(path))
        try:
            doc = strictjson.loads_object(raw, what=str(path))
        except InvalidInputError as exc:
            raise UsageError(
                f"Docker config is not valid JSON ({exc.message})", subject=str(path)
            ) from exc
        auths = doc.get("auths", {})
        store = doc.get("credsStore")
        helpers = doc.get("credHelpers", {})
        if not isinstance(auths, dict) or not all(isinstance(v, dict) for v in auths.values()):
            raise UsageError("'auths' must map hosts to objects", subject=str(path))
        if store is not None and not isinstance(store, str):
            raise UsageError("'credsStore' must be a string", subject=str(path))
        if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
            raise UsageError("'credHelpers' must map hosts to helper names", subject=str(path))
        return cls(path=path, auths=auths, creds_store=store or None, cred_helpers=helpers)

    def _keys_for(self, host: str) -> list[str]:
        keys = [
            host,
            f"https://{host}",
            f"http://{host}",
            f"https://{host}/v1/",
            f"https://{host}/v2/",
        ]
        if host in _HUB_HOSTS:
            keys = [DOCKER_HUB_AUTH_KEY, "docker.io", "index.docker.io", *keys]
        return keys

    def lookup(self, host: str) -> Credentials | None:
        keys = self._keys_for(host)
        for key in keys:
            helper = self.cred_helpers.get(key)
            if helper:
                return self.run_helper(helper, DOCKER_HUB_AUTH_KEY if host in _HUB_HOSTS else host)
        for key in keys:
            entry = self.auths.get(key)
            if entry:
                found = self._from_entry(entry, key)
                if found is not None:
                    return found
        if self.creds_store:
            return self.run_helper(
                self.creds_store, DOCKER_HUB_AUTH_KEY if host in _HUB_HOSTS else host
            )
        return None

    def _from_entry(self, entry: Mapping[str, Any], key: str) -> Credentials | None:
        where = f"{self.path} auths[{key!r}]"
        token = entry.get("identitytoken")
        encoded = entry.get("auth")
        username = entry.get("username")
        password = entry.get("password")
        if encoded:
            if not isinstance(encoded, str):
                raise UsageError("'auth' must be a string", subject=where)
            try:
                decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise UsageError("'auth' is not base64 of user:password", subject=where) from exc
            username, sep, password = decoded.partition(":")
            if not sep:
                raise UsageError("'auth' is not base64 of user:password", subject=where)
        if isinstance(token, str) and token:
            return Credentials(username=username or "<token>", secret=token, identity_token=True)
        if isinstance(username, str) and isinstance(password, str) and username:
            return Credentials(username=username, secret=password)
        return None


# --- challenges and tokens --------------------------------------------------------------------


_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?')


@dataclass(frozen=True)
class Challenge:
    scheme: str
    params: Mapping[str, str]


def parse_challenge(header: str | None) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` header (registries send one)."""
    if not header:
        return None
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            break
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
        pos = match.end()
    return Challenge(scheme=scheme.lower(), params=params)


@dataclass
class _CachedToken:
    header: str
    expires: float


@dataclass
class Authenticator:
    """Turns 401 challenges into Authorization headers for one registry host.

    Thread-safe; tokens are cached per scope. Never logs or raises with a credential or token
    in the message.
    """

    host: str
    http: HttpClient
    explicit: Credentials | None = None
    source: CredentialSource | None = None
    clock: Callable[[], float] = time.monotonic
    _tokens: dict[tuple[str, str, str], _CachedToken] = field(default_factory=dict)
    _by_scope: dict[str, _CachedToken] = field(default_factory=dict)
    _basic: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    token_requests: int = 0
    _looked_up: bool = False
    _found: Credentials | None = None

    @property
    def credentials(self) -> Credentials | None:
        """Explicit credentials, else the source's answer for this host, looked up only when a
        registry first asks (so anonymous pulls never run a credential helper)."""
        if self.explicit is not None:
            return self.explicit
        if self.source is None:
            return None
        with self._lock:
            if not self._looked_up:
                self._found = self.source.lookup(self.host)
                self._looked_up = True
            return self._found

    def cached_header(self, scope: str) -> str | None:
        """An Authorization value to send up front for ``scope``, if we already have one."""
        if self._basic:
            creds = self.credentials
            if creds is not None:
                return creds.basic_header()
        with self._lock:
            token = self._by_scope.get(scope)
            if token is not None and token.expires > self.clock():
                return token.header
        return None

    def forget(self, header: str) -> None:
        """Drop a token the registry just refused (expired or revoked) from every cache."""
        with self._lock:
            for token_key in [k for k, v in self._tokens.items() if v.header == header]:
                del self._tokens[token_key]
            for scope in [k for k, v in self._by_scope.items() if v.header == header]:
                del self._by_scope[scope]

    def answer(self, challenge_header: str | None, scope: str, deadline: Deadline) -> str:
        """The Authorization value that answers this 401 challenge, or AuthError.

        Basic credentials go straight to the registry: the client only speaks plain HTTP to
        loopback or to a host the user named as insecure, so this is HTTPS otherwise.
        """
        challenge = parse_challenge(challenge_header)
        if challenge is None:
            raise AuthError("registry refused the request and sent no challenge", subject=self.host)
        if challenge.scheme == "basic":
            creds = self.credentials
            if creds is None:
                raise AuthError(
                    "registry requires a login",
                    subject=self.host,
                    hint="docker login, or a credential helper in the Docker config",
                )
            with self._lock:
                self._basic = True
            return creds.basic_header()
        if challenge.scheme == "bearer":
            return self._token(challenge, scope, deadline)
        raise AuthError(f"unsupported auth scheme {challenge.scheme!r}", subject=self.host)

    def _check_realm(self, realm: str) -> None:
        """A token realm gets credentials only over HTTPS, or plain HTTP on loopback/insecure."""
        parts = urlsplit(realm)
        if parts.scheme == "https":
            return
        host = parts.hostname or ""
        if parts.scheme == "http" and self.http.plain_http_allowed(host, parts.port):
            return
        raise AuthError(
            "refusing to send credentials to a non-HTTPS token realm",
            subject=self.host,
            hint="the realm must be HTTPS",
        )

    def _token(self, challenge: Challenge, scope: str, deadline: Deadline) -> str:
        realm = challenge.params.get("realm")
        if not realm:
            raise AuthError("bearer challenge without realm", subject=self.host)
        parts = urlsplit(realm)
        if parts.scheme not in ("https", "http"):
            raise AuthError("token realm is not an HTTP(S) URL", subject=self.host)
        service = challenge.params.get("service", "")
        scopes = scope.split()
        asked = challenge.params.get("scope")
        if asked:
            for extra in asked.split(" "):
                if extra and extra not in scopes:
                    scopes.append(extra)
        key = (realm, service, " ".join(scopes))
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.expires > self.clock():
                self._by_scope[scope] = cached
                return cached.header
        self._check_realm(realm)
        token = self._fetch_token(realm, service, scopes, deadline)
        with self._lock:
            self._tokens[key] = token
            self._by_scope[scope] = token
        return token.header

    def _fetch_token(
        self, realm: str, service: str, scopes: list[str], deadline: Deadline
    ) -> _CachedToken:
        headers: dict[str, str] = {}
        creds = self.credentials
        params: dict[str, Any] = {}
        if service:
            params["service"] = service
        if scopes:
            params["scope"] = scopes
        method, data = "GET", None
        if creds is not None:
            if creds.identity_token:
                method = "POST"
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": creds.secret,
                    "client_id": "supplychain",
                    **({"service": service} if service else {}),
                }
                if scopes:
                    form["scope"] = " ".join(scopes)
                data = urlencode(form).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                params = {}
            else:
                headers["Authorization"] = creds.basic_header()
        self.token_requests += 1
        response = self.http.request(
            method,
            realm,
            what=f"token for {self.host}",
            deadline=deadline,
            headers=headers,
            data=data,
            params=params,
            follow_redirects=False,
        )
        status = response.status_code
        body = read_body(
            response, cap=TOKEN_RESPONSE_MAX, deadline=deadline, what=f"token for {self.host}"
        )
        if status in (401, 403):
            raise AuthError(
                "the token service refused the credentials"
                if creds
                else "the token service requires a login",
                subject=self.host,
                hint=None if creds else "docker login, or set credentials in the Docker config",
            )
        if status != 200:
            raise AuthError(f"token service answered HTTP {status}", subject=self.host)
        try:
            doc = strictjson.loads_object(body, what=f"token for {self.host}")
        except InvalidInputError as exc:
            raise AuthError("token service sent an unreadable answer", subject=self.host) from exc
        token = doc.get("token") or doc.get("access_token")
        if not isinstance(token, str) or not token or any(c.isspace() for c in token):
            raise AuthError("token service sent no usable token", subject=self.host)
        lifetime = doc.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
            lifetime = 60
        # Renew a little early so a token never expires between cache check and use.
        return _CachedToken(
            header=f"Bearer {token}", expires=self.clock() + max(1, min(lifetime, 3600) - 10)
        )
