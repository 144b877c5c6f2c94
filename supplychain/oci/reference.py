"""Image references: parse once, strictly, into one normal form.

A reference is typed by a user (or read from a policy), so a malformed one is a usage error
(exit 2) with the reason spelled out, never a guess. The grammar follows the distribution
reference grammar: ``[HOST[:PORT]/]PATH[:TAG][@DIGEST]``. The normal form is what every other
module compares and prints, so Docker Hub spellings collapse to one: ``nginx``,
``library/nginx``, ``index.docker.io/nginx`` and ``registry-1.docker.io/library/nginx:latest``
all become ``docker.io/library/nginx:latest``.

Decisions that differ from the Docker CLI:

* Upper case in the repository path is an error rather than silently accepted by some tools
  and rejected by others; the registry host may use any case and is lower-cased.
* Digests are parsed with :class:`~supplychain.model.Digest`, so ``SHA256:`` or upper-case hex
  are rejected instead of normalised.
* ``name:tag@digest`` keeps both parts; the digest is what gets fetched (the tag is a label).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

from supplychain._internal.http import is_loopback_host
from supplychain.errors import InvalidInputError, UsageError
from supplychain.model import Digest

DOCKER_HUB = "docker.io"
"""The canonical name of Docker Hub in normalised references."""

DOCKER_HUB_API = "registry-1.docker.io"
"""The host that actually serves the Docker Hub registry API."""

_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API})

NAME_MAX = 255
"""Longest ``host/path`` the distribution grammar allows."""

TAG_MAX = 128
REFERENCE_MAX = 4096
"""Anything longer is refused before any regular expression runs on it."""

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_HOST_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")
_PORT = re.compile(r"[0-9]{1,5}")


def _problem(text: str, message: str, hint: str | None = None) -> UsageError:
    shown = text if len(text) <= 120 else text[:117] + "..."
    return UsageError(message, subject=f"reference {shown!r}", hint=hint)


@dataclass(frozen=True)
class ImageRef:
    """A normalised image reference.

    ``registry`` is the host as users name it (``docker.io``, ``localhost:5000``); use
    :attr:`api_host` to talk to it. ``tag`` is ``None`` only when a digest is given.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    # --- parsing ----------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse and normalise ``text``; malformed references raise :class:`UsageError`."""
        if not isinstance(text, str) or not text:
            raise _problem(str(text), "empty image reference")
        if len(text) > REFERENCE_MAX:
            raise _problem(text, f"reference is longer than {REFERENCE_MAX} characters")
        if text != text.strip() or any(c.isspace() or ord(c) < 0x20 for c in text):
            raise _problem(text, "reference contains whitespace or control characters")
        if "://" in text:
            raise _problem(
                text, "a reference has no URL scheme", hint="write HOST/REPO[:TAG], not https://..."
            )

        rest, at, digest_text = text.partition("@")
        digest: Digest | None = None
        if at:
            try:
                digest = Digest.parse(digest_text)
            except InvalidInputError as exc:
                raise _problem(
                    text, f"bad digest: {exc.message}", hint="expected @sha256:<64 lower-case hex>"
                ) from exc

        name, tag = _split_tag(rest, text)
        registry, path = _split_registry(name, text)
        _check_path(path, text)
        if registry == DOCKER_HUB and "/" not in path:
            path = f"library/{path}"
        if len(registry) + 1 + len(path) > NAME_MAX:
            raise _problem(text, f"repository name is longer than {NAME_MAX} characters")
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry=registry, repository=path, tag=tag, digest=digest)

    # --- derived forms ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        """The host[:port] that serves ``/v2/`` for this registry."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when there is one, else the tag."""
        if self.digest is not None:
            return str(self.digest)
        assert self.tag is not None  # parse() guarantees a tag or a digest
        return self.tag

    @property
    def is_loopback(self) -> bool:
        """True for ``localhost`` and loopback IPs: the only hosts spoken to over plain HTTP."""
        return is_loopback_host(self.registry)

    def with_digest(self, digest: Digest) -> ImageRef:
        """The same repository pinned to ``digest`` (the tag is dropped: it was only a label)."""
        return replace(self, tag=None, digest=digest)

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository at ``tag`` (no digest)."""
        if not _TAG.fullmatch(tag):
            raise _problem(f"{self.name}:{tag}", "invalid tag")
        return replace(self, tag=tag, digest=None)

    def __str__(self) -> str:
        out = self.name
        if self.tag is not None:
            out += f":{self.tag}"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out


def _split_tag(rest: str, text: str) -> tuple[str, str | None]:
    """Split ``name[:tag]``; a colon before the last slash belongs to a port."""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon <= slash:
        return rest, None
    name, tag = rest[:colon], rest[colon + 1 :]
    if not tag:
        raise _problem(text, "empty tag after ':'")
    if len(tag) > TAG_MAX:
        raise _problem(text, f"tag is longer than {TAG_MAX} characters")
    if not _TAG.fullmatch(tag):
        raise _problem(
            text,
            "invalid tag",
            hint="a tag is letters, digits, '_', '.', '-', not starting with '.' or '-'",
        )
    return name, tag


def _split_registry(name: str, text: str) -> tuple[str, str]:
    """Split off the registry host; the first component is a host only if it looks like one."""
    first, slash, remainder = name.partition("/")
    if not slash:
        return DOCKER_HUB, name
    looks_like_host = "." in first or ":" in first or first == "localhost" or first.startswith("[")
    if not looks_like_host:
        if first != first.lower():
            raise _problem(
                text,
                "repository must be lower-case",
                hint=f"a registry host needs a '.' or a port, e.g. {first.lower()}.example:5000",
            )
        return DOCKER_HUB, name
    host = _normalise_host(first, text)
    if host in _HUB_ALIASES:
        host = DOCKER_HUB
    return host, remainder


def _normalise_host(host: str, text: str) -> str:
    """Validate ``host[:port]`` (IPv6 in brackets) and lower-case it."""
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            raise _problem(text, "unclosed '[' in registry host")
        literal, after = host[1:close], host[close + 1 :]
        try:
            ipaddress.IPv6Address(literal)
        except ValueError as exc:
            raise _problem(text, "invalid IPv6 address in registry host") from exc
        hostname = f"[{literal.lower()}]"
        port_part = after
        if port_part and not port_part.startswith(":"):
            raise _problem(text, "invalid registry host")
        port = port_part[1:] if port_part else None
    else:
        hostname, colon, port_text = host.partition(":")
        port = port_text if colon else None
        if not _HOSTNAME.fullmatch(hostname) or len(hostname) > 253:
            raise _problem(text, f"invalid registry host {hostname!r}")
        hostname = hostname.lower()
    if port is not None:
        if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
            raise _problem(text, "registry port must be a number from 1 to 65535")
        return f"{hostname}:{int(port)}"
    return hostname


def _check_path(path: str, text: str) -> None:
    if not path:
        raise _problem(text, "empty repository name")
    for component in path.split("/"):
        if not component:
            raise _problem(text, "empty path component ('//' or trailing '/')")
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if component.lower() != component and _PATH_COMPONENT.fullmatch(component.lower()):
            raise _problem(text, "repository must be lower-case")
        raise _problem(
            text,
            f"invalid repository component {component[:60]!r}",
            hint="use lower-case letters, digits and single '.', '_', '__' or '-' separators",
        )
