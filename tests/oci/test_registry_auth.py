"""Auth against real registries: htpasswd basic, bearer tokens, Docker config and helpers."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from supplychain.errors import AuthError, ExitCode, UsageError
from supplychain.oci.auth import (
    Anonymous,
    Credentials,
    DockerConfig,
    StaticCredentials,
    parse_challenge,
)
from supplychain.oci.registry import RegistryClient
from tests.fixtures.registry import PASSWORD, USERNAME, RegistryServer, push_tiny_image

pytestmark = pytest.mark.registry


def creds_for(server: RegistryServer, password: str = PASSWORD) -> StaticCredentials:
    return StaticCredentials({server.host: Credentials(USERNAME, password)})


def test_basic_auth_round_trip(basic_registry: RegistryServer) -> None:
    client = RegistryClient(basic_registry.host, credentials=creds_for(basic_registry))
    client.ping()
    repo = basic_registry.repo("basic")
    pushed = push_tiny_image(client, repo, tag="v1")
    assert str(client.get_manifest(repo, "v1").digest) == pushed.digest


def test_basic_auth_wrong_password_is_auth_error(basic_registry: RegistryServer) -> None:
    client = RegistryClient(basic_registry.host, credentials=creds_for(basic_registry, "wrong!"))
    with pytest.raises(AuthError) as info:
        client.ping()
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert "wrong!" not in info.value.diagnostics()


def test_basic_auth_without_credentials(basic_registry: RegistryServer) -> None:
    client = RegistryClient(basic_registry.host, credentials=Anonymous())
    with pytest.raises(AuthError) as info:
        client.list_tags("any/repo")
    assert "login" in info.value.diagnostics()


def test_token_auth_round_trip_and_cache(
    token_registry: RegistryServer, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = token_registry.token_issuer
    assert issuer is not None
    caplog.set_level(logging.DEBUG)
    client = RegistryClient(token_registry.host, credentials=creds_for(token_registry))
    repo = token_registry.repo("token")
    pushed = push_tiny_image(client, repo, tag="v1")
    before = len(issuer.requests_seen)
    for _ in range(3):
        assert str(client.get_manifest(repo, "v1").digest) == pushed.digest
    # One token for the pull scope, then served from the cache.
    assert len(issuer.requests_seen) - before <= 1
    assert issuer.requests_seen[-1]["user"] == USERNAME
    assert any(f"repository:{repo}:pull" in s for s in issuer.requests_seen[-1]["scopes"])
    # Neither the password nor any token reached the logs.
    text = caplog.text
    assert PASSWORD not in text
    assert "Bearer" not in text and "eyJ" not in text


def test_token_auth_anonymous_pull_of_public_repo(token_registry: RegistryServer) -> None:
    writer = RegistryClient(token_registry.host, credentials=creds_for(token_registry))
    repo = f"public/{token_registry.repo('anon').split('/')[1]}"
    pushed = push_tiny_image(writer, repo, tag="v1")
    reader = RegistryClient(token_registry.host, credentials=Anonymous())
    assert str(reader.get_manifest(repo, "v1").digest) == pushed.digest
    # Anonymous push is refused by the token service's grant: an auth error, exit 3.
    with pytest.raises(AuthError):
        reader.push_blob(repo, b"not allowed")


def test_token_auth_wrong_password(token_registry: RegistryServer) -> None:
    client = RegistryClient(token_registry.host, credentials=creds_for(token_registry, "nope"))
    with pytest.raises(AuthError) as info:
        client.list_tags("private/thing")
    assert "refused" in info.value.diagnostics()
    assert "nope" not in info.value.diagnostics()


# --- Docker config --------------------------------------------------------------------------


def write_config(directory: Path, doc: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(doc))
    return path


def test_docker_config_auths_base64(tmp_path: Path, basic_registry: RegistryServer) -> None:
    encoded = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    write_config(tmp_path, {"auths": {basic_registry.host: {"auth": encoded}}})
    config = DockerConfig.load(env={"DOCKER_CONFIG": str(tmp_path)})
    found = config.lookup(basic_registry.host)
    assert found == Credentials(USERNAME, PASSWORD)
    assert PASSWORD not in repr(found)
    client = RegistryClient(basic_registry.host, credentials=config)
    client.ping()


def test_docker_config_env_is_used_by_default(
    tmp_path: Path, basic_registry: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        tmp_path,
        {"auths": {f"https://{basic_registry.host}": {"username": USERNAME, "password": PASSWORD}}},
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    RegistryClient(basic_registry.host).ping()


def test_docker_config_hub_key() -> None:
    encoded = base64.b64encode(b"hubuser:hubpass").decode()
    config = DockerConfig(path=Path("x"), auths={"https://index.docker.io/v1/": {"auth": encoded}})
    assert config.lookup("registry-1.docker.io") == Credentials("hubuser", "hubpass")
    assert config.lookup("ghcr.io") is None


def test_docker_config_identity_token() -> None:
    config = DockerConfig(path=Path("x"), auths={"r.example": {"identitytoken": "tok"}})
    found = config.lookup("r.example")
    assert found is not None and found.identity_token and found.secret == "tok"


def test_missing_config_is_anonymous(tmp_path: Path) -> None:
    config = DockerConfig.load(env={"DOCKER_CONFIG": str(tmp_path / "absent")})
    assert config.lookup("ghcr.io") is None


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"auths": []}',
        '{"auths": {"h": {"auth": "%%%"}}}',
        '{"auths": {"h": {"auth": "bm9jb2xvbg=="}}}',  # "nocolon"
        '{"credsStore": 5}',
        '{"auths": {}, "auths": {}}',
    ],
)
def test_malformed_config_is_usage_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(UsageError) as info:
        DockerConfig.load(env={"DOCKER_CONFIG": str(tmp_path)}).lookup("h")
    assert str(tmp_path) in info.value.diagnostics()
    assert "nocolon" not in info.value.diagnostics()


def install_helper(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_cred_helpers_and_creds_store(
    tmp_path: Path, basic_registry: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    # The helper reads the server URL on stdin and answers JSON, like the real ones.
    install_helper(
        bin_dir,
        "good",
        f'read host\n[ "$host" = "{basic_registry.host}" ] || exit 1\n'
        f'echo \'{{"ServerURL":"\'$host\'","Username":"{USERNAME}","Secret":"{PASSWORD}"}}\'\n',
    )
    install_helper(bin_dir, "empty", 'echo "credentials not found in native keychain"; exit 1\n')
    install_helper(bin_dir, "broken", "echo 'secret-ish output'; exit 3\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    helpers = DockerConfig(path=Path("c"), cred_helpers={basic_registry.host: "good"})
    assert helpers.lookup(basic_registry.host) == Credentials(USERNAME, PASSWORD)
    RegistryClient(basic_registry.host, credentials=helpers).ping()

    store = DockerConfig(path=Path("c"), creds_store="good")
    assert store.lookup(basic_registry.host) == Credentials(USERNAME, PASSWORD)

    assert DockerConfig(path=Path("c"), creds_store="empty").lookup("h") is None
    with pytest.raises(AuthError) as info:
        DockerConfig(path=Path("c"), creds_store="broken").lookup("h")
    assert "secret-ish" not in info.value.diagnostics()
    with pytest.raises(AuthError):
        DockerConfig(path=Path("c"), creds_store="not-installed").lookup("h")
    with pytest.raises(UsageError):
        DockerConfig(path=Path("c"), creds_store="../evil").lookup("h")


def test_parse_challenge() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"'
    )
    assert challenge is not None
    assert challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://auth.example/token",
        "service": "reg",
        "scope": "repository:a/b:pull,push",
    }
    basic = parse_challenge('Basic realm="x"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge(None) is None


def test_basic_credentials_never_sent_to_plain_http_realm() -> None:
    from supplychain._internal.http import HttpClient
    from supplychain.oci.auth import Authenticator

    auth = Authenticator(host="registry.example", http=HttpClient(), explicit=Credentials("u", "p"))
    with pytest.raises(AuthError) as info:
        auth.answer(
            'Bearer realm="http://auth.example/token",service="s"', "", HttpClient().deadline()
        )
    assert "HTTPS" in info.value.diagnostics()


def test_token_auth_mount_asks_for_both_scopes(token_registry: RegistryServer) -> None:
    issuer = token_registry.token_issuer
    assert issuer is not None
    client = RegistryClient(token_registry.host, credentials=creds_for(token_registry))
    source, target = token_registry.repo("msrc"), token_registry.repo("mdst")
    desc = client.push_blob(source, b"shared layer bytes")
    assert client.mount_blob(target, desc.digest, source) is True
    assert client.blob_exists(target, desc.digest) == desc.size
    assert any(
        f"repository:{source}:pull" in r["scopes"]
        and f"repository:{target}:pull,push" in r["scopes"]
        for r in issuer.requests_seen
    )


def test_credentials_looked_up_only_when_asked(
    registry: RegistryServer, basic_registry: RegistryServer
) -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def lookup(self, host: str) -> Credentials | None:
            self.calls.append(host)
            return Credentials(USERNAME, PASSWORD)

    anonymous_ok = Counting()
    RegistryClient(registry.host, credentials=anonymous_ok).ping()
    assert anonymous_ok.calls == []  # no challenge, so no helper ran
    needed = Counting()
    client = RegistryClient(basic_registry.host, credentials=needed)
    client.ping()
    client.ping()
    assert needed.calls == [basic_registry.host]  # looked up once


def test_refused_cached_token_is_renewed(token_registry: RegistryServer) -> None:
    from supplychain.oci.auth import _CachedToken

    client = RegistryClient(token_registry.host, credentials=creds_for(token_registry))
    repo = token_registry.repo("renew")
    pushed = push_tiny_image(client, repo, tag="v1")
    client.get_manifest(repo, "v1")
    # The registry stops accepting the token we cached (expired early, revoked, rotated key).
    revoked = _CachedToken(header="Bearer revoked", expires=float("inf"))
    for key in list(client.auth._tokens):
        client.auth._tokens[key] = revoked
    for scope in list(client.auth._by_scope):
        client.auth._by_scope[scope] = revoked
    assert str(client.get_manifest(repo, "v1").digest) == pushed.digest
    assert all(t.header != "Bearer revoked" for t in client.auth._by_scope.values())
