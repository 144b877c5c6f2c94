"""``supplychain keys …``, ``sign-blob`` and ``verify-blob``: key files and blob signatures.

Passwords come from ``SUPPLYCHAIN_PASSWORD`` or ``COSIGN_PASSWORD`` (an empty value is a valid
empty password, as in cosign) or a hidden prompt on a terminal, never from an argument, so they
do not end up in shell history or ``ps``. Key files are written atomically with mode 0600, and
an existing file is never overwritten without ``--force``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from supplychain._internal.fileio import atomic_write_bytes, file_sha256, read_bounded
from supplychain.cli.context import SETTINGS
from supplychain.cli.main import cli
from supplychain.errors import Error, UsageError
from supplychain.model.digest import Digest
from supplychain.signing import keys, sign, trustroot, verify
from supplychain.signing.bundle import MAX_BUNDLE_BYTES
from supplychain.signing.identity import Identity
from supplychain.signing.policy import BundleCandidate, Policy, evaluate, load_policy
from supplychain.store.authority import require_log_entry

PASSWORD_ENV = ("SUPPLYCHAIN_PASSWORD", "COSIGN_PASSWORD")
_DIGEST_ARG = re.compile(r"sha256:[0-9a-f]{64}")


def read_password(*, confirm: bool = False) -> bytes:
    """The key password from the environment, else a hidden prompt (TTY only)."""
    for name in PASSWORD_ENV:
        if name in os.environ:
            return os.environ[name].encode("utf-8")
    if not sys.stdin.isatty():
        raise UsageError(
            "a password is needed and none is available",
            hint=f"set {PASSWORD_ENV[0]} (or {PASSWORD_ENV[1]}); passwords are never arguments",
        )
    text = click.prompt(
        "Password for the private key", hide_input=True, confirmation_prompt=confirm, default=""
    )
    return str(text).encode("utf-8")


def _write_new(path: Path, data: bytes, *, mode: int, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError("already exists (use --force to overwrite)", subject=str(path))
    atomic_write_bytes(path, data, mode=mode)


def _write_pair(prefix: str, private_pem: bytes, public_pem: bytes, force: bool) -> None:
    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise UsageError("already exists (use --force to overwrite)", subject=str(path))
    _write_new(private_path, private_pem, mode=0o600, force=True)
    _write_new(public_path, public_pem, mode=0o644, force=True)
    if not SETTINGS.quiet:
        click.echo(f"Private key written to {private_path}", err=True)
        click.echo(f"Public key written to {public_path}", err=True)


@cli.group("keys")
def keys_group() -> None:
    """Generate, import and export signing keys (cosign.key / cosign.pub compatible)."""


@keys_group.command("generate")
@click.option(
    "--output-prefix",
    default="cosign",
    show_default=True,
    help="Writes PREFIX.key (encrypted, 0600) and PREFIX.pub.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def keys_generate(output_prefix: str, force: bool) -> None:
    """A new ECDSA P-256 key pair in cosign's encrypted key format."""
    password = read_password(confirm=True)
    key = keys.generate()
    _write_pair(output_prefix, key.to_cosign(password), key.public_key.pem, force)


@keys_group.command("import-cosign")
@click.argument("cosign_key")
@click.option(
    "--output-prefix",
    default="imported",
    show_default=True,
    help="Writes PREFIX.key (PKCS#8 PEM, encrypted with the same password) and PREFIX.pub.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def keys_import_cosign(cosign_key: str, output_prefix: str, force: bool) -> None:
    """Read a cosign.key (checked and decrypted) and write it as a standard PKCS#8 PEM pair."""
    password = read_password()
    key = keys.load_private_key_file(cosign_key, lambda: password)
    _write_pair(output_prefix, key.to_pem(password or None), key.public_key.pem, force)


@keys_group.command("export-cosign")
@click.argument("private_key")
@click.option(
    "--output-prefix",
    default="cosign",
    show_default=True,
    help="Writes PREFIX.key (cosign format) and PREFIX.pub.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def keys_export_cosign(private_key: str, output_prefix: str, force: bool) -> None:
    """Write a PEM private key (plain or encrypted PKCS#8) as cosign.key / cosign.pub."""
    password = read_password()
    key = keys.load_private_key_file(private_key, lambda: password)
    _write_pair(output_prefix, key.to_cosign(password), key.public_key.pem, force)


@cli.command("sign-blob")
@click.argument("file")
@click.option(
    "--key",
    "key_path",
    help="Private key (cosign.key or PEM). Without it: keyless, with an ambient OIDC "
    "token (e.g. GitHub Actions).",
)
@click.option(
    "--bundle",
    "bundle_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the Sigstore bundle (v0.3).",
)
def sign_blob(file: str, key_path: str | None, bundle_path: str) -> None:
    """Sign FILE (e.g. a Helm chart) into a Sigstore bundle."""
    if _DIGEST_ARG.fullmatch(file):
        raise UsageError("sign-blob needs the file itself", subject=file)
    digest = artifact_digest(file)
    if key_path is None:
        raw = sign.sign_blob_keyless(digest)
    else:
        key = keys.load_private_key_file(key_path, read_password)
        raw = sign.sign_blob_digest(digest, key)
    atomic_write_bytes(bundle_path, raw)
    if not SETTINGS.quiet:
        click.echo(f"Bundle written to {bundle_path}", err=True)


def artifact_digest(argument: str) -> Digest:
    """``sha256:HEX`` is a digest; anything else is a file, hashed while streaming."""
    if _DIGEST_ARG.fullmatch(argument):
        return Digest.parse(argument)
    return file_sha256(argument)


def authority_from_options(
    key_path: str | None,
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
) -> verify.KeyAuthority | Identity:
    keyless = any(v is not None for v in (identity, identity_regexp, issuer, issuer_regexp))
    if key_path is not None and keyless:
        raise UsageError("give either --key or a certificate identity, not both")
    if key_path is not None:
        return verify.KeyAuthority(keys.load_public_key_file(key_path), name=key_path)
    if not keyless:
        raise UsageError(
            "nothing to verify against",
            hint="give --key, or --certificate-identity and --certificate-oidc-issuer",
        )
    return Identity(
        subject=identity, issuer=issuer, subject_regexp=identity_regexp, issuer_regexp=issuer_regexp
    )


def relaxation_line(relaxation: str, policy: str | None) -> str:
    """How a relaxation reads on stderr: always with the policy file that granted it."""
    granted = f" by policy {policy}" if policy else ""
    return f"Relaxed{granted}: {relaxation}"


def blob_name(argument: str) -> str:
    """The name a policy's ``images`` globs are matched against for a blob: the file's base
    name (``chart-1.0.0.tgz``), or ``sha256:<hex>`` when a digest is given instead of a file.

    The name only selects which rules apply; what is trusted is still decided by the rule's
    authorities over the signed digest. A name no rule matches is denied.
    """
    if _DIGEST_ARG.fullmatch(argument):
        return argument
    return Path(argument).name


@dataclass(frozen=True)
class BlobOutcome:
    """One verified (or, in warn mode, would-be-denied) blob, rendered the same way whether
    the authority came from flags or from a policy file."""

    digest: Digest
    accepted: list[tuple[str, verify.Verified]]
    relaxations: list[str]
    policy: str | None = None
    warnings: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        first = self.accepted[0][1] if self.accepted else None
        doc: dict[str, Any] = {
            "verified": not self.warnings and first is not None,
            "digest": str(self.digest),
            "signer": first.signer if first else None,
            "issuer": first.issuer if first else None,
            "kind": first.kind if first else None,
            "predicateType": first.predicate_type if first else None,
            "tlog": None
            if first is None or first.tlog is None
            else {
                "logIndex": first.tlog.log_index,
                "integratedTime": first.tlog.integrated_time,
            },
            "authorities": [name for name, _ in self.accepted],
            "relaxations": self.relaxations,
            "policy": self.policy,
        }
        if self.warnings:
            doc["warnings"] = self.warnings
        return doc

    def print_text(self) -> None:
        for name, result in self.accepted:
            issuer = f" (issuer {result.issuer})" if result.issuer else ""
            by = f" [authority {name}]" if self.policy else ""
            click.echo(f"Verified OK: {result.digest} signed by {result.signer}{issuer}{by}")
        # Relaxations and warnings are printed even with --quiet (SECURITY R1).
        for relaxation in self.relaxations:
            click.echo(relaxation_line(relaxation, self.policy), err=True)
        for warning in self.warnings or []:
            click.echo(f"warning: policy in warn mode would deny: {warning}", err=True)


def _verify_blob_with_flags(
    raw: bytes,
    digest: Digest,
    *,
    bundle_path: str,
    authority: verify.Authority,
    trust: trustroot.TrustedRoot | None,
    expect: str,
) -> BlobOutcome:
    """``--key`` always needs a log entry (no flag waives it: SECURITY R1)."""
    what = f"bundle {bundle_path}"
    result = verify.verify_bundle(
        raw,
        digest,
        authority,
        expect=expect,
        trust=trust,
        require_tlog=False,
        what=what,
    )
    if isinstance(authority, verify.KeyAuthority):
        require_log_entry(result, what)
    return BlobOutcome(digest, [(authority_label(authority), result)], list(result.relaxations))


def authority_label(authority: verify.Authority) -> str:
    return authority.name if isinstance(authority, verify.KeyAuthority) else "identity"


def _verify_blob_with_policy(
    raw: bytes, digest: Digest, *, bundle_path: str, name: str, policy: Policy, expect: str
) -> BlobOutcome:
    """Every rule whose glob matches ``name`` must be satisfied by the one bundle."""
    candidate = BundleCandidate(raw, origin=f"bundle {bundle_path}")
    decision = evaluate(policy, name, digest, [candidate], signature_type=expect)
    decision.raise_if_denied()
    warnings = None if decision.allowed else list(decision.reasons)
    return BlobOutcome(
        digest, list(decision.signatures), list(decision.relaxations), policy.source, warnings
    )


@cli.command("verify-blob")
@click.argument("file")
@click.option("--bundle", "bundle_path", required=True, type=click.Path(dir_okay=False))
@click.option("--key", "key_path", help="Public key (PEM).")
@click.option("--certificate-identity", "identity", help="Exact signer identity (SAN).")
@click.option(
    "--certificate-identity-regexp", "identity_regexp", help="Signer identity regex (full match)."
)
@click.option("--certificate-oidc-issuer", "issuer", help="Exact OIDC issuer.")
@click.option(
    "--certificate-oidc-issuer-regexp", "issuer_regexp", help="OIDC issuer regex (full match)."
)
@click.option(
    "--trusted-root",
    type=click.Path(dir_okay=False),
    help="Sigstore trusted_root.json (default: the public-good root).",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False),
    help="Policy file; its images globs match the file's base name (or sha256:HEX). The only "
    "place a transparency-log requirement can be waived.",
)
@click.option(
    "--type",
    "predicate_type",
    metavar="URI",
    help="Accept an attestation with this signed predicateType instead of a signature "
    "(default: a message signature or a cosign sign/v1 statement; other attestations over "
    "the same digest are not signatures).",
)
@click.option("--output", "output", type=click.Choice(["text", "json"]), default="text")
def verify_blob(
    file: str,
    bundle_path: str,
    key_path: str | None,
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
    trusted_root: str | None,
    policy_path: str | None,
    predicate_type: str | None,
    output: str,
) -> None:
    """Verify FILE (or sha256:HEX) against a Sigstore bundle; exit 0 only when it is signed.

    Prints the verified digest and signer. A key signature needs a transparency-log entry
    unless --policy waives it for that key. Exit 1: rejected; 2: usage; 3: could not check.
    """
    flags = (key_path, identity, identity_regexp, issuer, issuer_regexp, trusted_root)
    if policy_path is not None and any(v is not None for v in flags):
        raise UsageError(
            "--policy cannot be combined with --key, --trusted-root or certificate flags",
            hint="put authorities and the trusted root in the policy file",
        )
    # Usage problems (flags, the policy file, the trusted root) come before any file is read.
    judge: Callable[[bytes, Digest], BlobOutcome]
    expect = predicate_type or verify.BLOB_SIGNATURE
    if policy_path is not None:
        policy = load_policy(policy_path)
        name = blob_name(file)
        judge = functools.partial(
            _verify_blob_with_policy,
            bundle_path=bundle_path,
            name=name,
            policy=policy,
            expect=expect,
        )
    else:
        authority = authority_from_options(
            key_path, identity, identity_regexp, issuer, issuer_regexp
        )
        trust = trustroot.load_file(trusted_root) if trusted_root else None
        judge = functools.partial(
            _verify_blob_with_flags,
            bundle_path=bundle_path,
            authority=authority,
            trust=trust,
            expect=expect,
        )
    digest = artifact_digest(file)
    raw = read_bounded(bundle_path, limit=MAX_BUNDLE_BYTES, what=f"bundle {bundle_path}")
    try:
        outcome = judge(raw, digest)
    except Error as exc:
        if output == "json":
            doc = {"digest": str(digest), "verified": False, "error": exc.diagnostics()}
            click.echo(json.dumps(doc, indent=2, sort_keys=True))
        raise
    if output == "json":
        click.echo(json.dumps(outcome.to_json(), indent=2, sort_keys=True))
        return
    outcome.print_text()
