"""``sign``, ``attest``, ``verify`` and ``verify-attestation`` for images on a registry.

Thin on purpose: parse flags, pick the authority, call :mod:`supplychain.store`, render. The
only thing printed on stdout by ``verify`` is the pinned ``registry/repo@sha256:…`` that was
verified (or one JSON document with ``--output json``), so a deploy script can use it as is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from supplychain._internal import strictjson
from supplychain._internal.fileio import atomic_write_bytes, read_bounded
from supplychain.cli.context import SETTINGS
from supplychain.cli.main import cli
from supplychain.cli.signing_blob import read_password, relaxation_line
from supplychain.errors import Error, InvalidInputError, PolicyError, UsageError
from supplychain.oci.limits import DEFAULT_LIMITS
from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from supplychain.signing import intoto
from supplychain.signing.identity import Identity
from supplychain.signing.policy import load_policy
from supplychain.store import authority
from supplychain.store.client import RegistryStore
from supplychain.store.contracts import EvidenceVerifier, ImageSigner
from supplychain.store.policy_check import PolicyVerdict, verify_with_policy
from supplychain.store.sign import Attached, attest_image, sign_image
from supplychain.store.verify import ImageVerdict, Wanted, verify_image

PREDICATE_LIMIT = DEFAULT_LIMITS.attachment


def _note(text: str) -> None:
    if not SETTINGS.quiet:
        click.echo(text, err=True)


def _created() -> datetime:
    """SOURCE_DATE_EPOCH when set (reproducible artefacts), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        if not epoch.isdigit():
            raise UsageError("must be a whole number of seconds", subject="SOURCE_DATE_EPOCH")
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc)


@contextmanager
def _store(ref: ImageRef, insecure: bool) -> Iterator[RegistryStore]:
    if insecure:
        _note(f"warning: talking to {ref.registry} over plain HTTP (--insecure-registry)")
    client = RegistryClient.for_ref(ref, insecure=insecure)
    try:
        yield RegistryStore(client)
    finally:
        client.close()


def _insecure_option(func: Any) -> Any:
    return click.option(
        "--insecure-registry",
        is_flag=True,
        help="Allow plain HTTP to this registry (loopback hosts never need it).",
    )(func)


# --- sign / attest ----------------------------------------------------------------------------


def _report_attached(what: str, attached: Attached) -> None:
    where = []
    if attached.referrer is not None:
        where.append(f"referrer {attached.referrer}")
    if attached.legacy_tag is not None:
        where.append(f"tag {attached.legacy_tag}")
    _note(f"{what} {attached.image} ({', '.join(where)})")
    click.echo(attached.image)


def _signer(ref: ImageRef, key_path: str | None, keyless: bool, legacy: bool) -> ImageSigner:
    """A key or a keyless signer; the keyless token is fetched before any registry write."""
    if (key_path is None) == (not keyless):
        raise UsageError("give exactly one of --key or --keyless")
    if key_path is not None:
        return authority.key_signer(key_path, read_password)
    if legacy:
        raise UsageError("--legacy needs --key: keyless signing writes bundle referrers only")
    return authority.keyless_signer(f"{ref.registry}/{ref.repository}")


def _predicate_type(type_name: str) -> str:
    """``--type`` is typed by the user: an unknown short name is a usage error (exit 2)."""
    try:
        return intoto.predicate_type_for(type_name)
    except InvalidInputError as exc:
        raise UsageError(exc.message, subject=exc.subject, hint=exc.hint) from exc


def _signer_options(tag_suffix: str) -> Callable[[Any], Any]:
    """``--key`` / ``--keyless`` / ``--legacy`` / ``--insecure-registry`` for sign and attest."""

    def apply(func: Any) -> Any:
        for option in reversed(
            [
                click.option(
                    "--key",
                    "key_path",
                    type=click.Path(dir_okay=False),
                    help="Private key (cosign.key or PKCS#8 PEM).",
                ),
                click.option(
                    "--keyless",
                    is_flag=True,
                    help="Sign with sigstore-python (Fulcio + Rekor) using the ambient OIDC token.",
                ),
                click.option(
                    "--legacy",
                    is_flag=True,
                    help=f"Also write cosign's legacy sha256-<hex>{tag_suffix} tag.",
                ),
                _insecure_option,
            ]
        ):
            func = option(func)
        return func

    return apply


@cli.command("sign")
@click.argument("image")
@_signer_options(".sig")
def sign_command(
    image: str, key_path: str | None, keyless: bool, legacy: bool, insecure_registry: bool
) -> None:
    """Sign IMAGE (resolved once to a digest) as a cosign v3 bundle referrer.

    Prints the signed reference, pinned by digest. The key password comes from
    SUPPLYCHAIN_PASSWORD or COSIGN_PASSWORD, or a prompt.
    """
    ref = ImageRef.parse(image)
    signer = _signer(ref, key_path, keyless, legacy)
    with _store(ref, insecure_registry) as store:
        attached = sign_image(store, ref, signer, created=_created(), legacy=legacy)
    _report_attached("Signed", attached)


@cli.command("attest")
@click.argument("image")
@click.option(
    "--predicate",
    "predicate_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Predicate JSON (e.g. an SPDX document).",
)
@click.option(
    "--type",
    "type_name",
    required=True,
    help="spdx, cyclonedx, slsaprovenance, ... or a predicate URI.",
)
@_signer_options(".att")
def attest_command(
    image: str,
    predicate_path: str,
    type_name: str,
    key_path: str | None,
    keyless: bool,
    legacy: bool,
    insecure_registry: bool,
) -> None:
    """Attest a predicate about IMAGE (in-toto Statement v1 in a bundle referrer)."""
    ref = ImageRef.parse(image)
    predicate_type = _predicate_type(type_name)
    raw = read_bounded(predicate_path, limit=PREDICATE_LIMIT, what=f"predicate {predicate_path}")
    predicate = strictjson.loads_object(
        raw, what=f"predicate {predicate_path}", max_bytes=PREDICATE_LIMIT
    )
    signer = _signer(ref, key_path, keyless, legacy)
    with _store(ref, insecure_registry) as store:
        attached = attest_image(
            store,
            ref,
            signer,
            predicate_type=predicate_type,
            predicate=predicate,
            created=_created(),
            legacy=legacy,
        )
    _report_attached("Attested", attached)


# --- verify -----------------------------------------------------------------------------------


def _verifier(
    key_path: str | None, identity: Identity | None, trusted_root: str | None
) -> EvidenceVerifier:
    """Exactly one kind of authority; the kind fixes which material is accepted (class H).

    ``--key`` always requires a transparency-log entry: there is deliberately no flag to waive
    it (SECURITY R1). Offline key signatures are accepted only under a policy file whose key
    authority says ``transparencyLog: {required: false}``, and the waiver is then reported.
    """
    if key_path is not None and identity is not None:
        raise UsageError("give either --key or a certificate identity, not both")
    if key_path is not None:
        return authority.key_verifier(key_path, require_tlog=True, trusted_root=trusted_root)
    if identity is not None:
        return authority.keyless_verifier(identity, trusted_root)
    raise UsageError(
        "no authority given",
        hint="use --key, --certificate-identity with --certificate-oidc-issuer, or --policy",
    )


def _identity(
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
) -> Identity | None:
    """Exact matching by default; the regexp variants are full matches (SECURITY R3)."""
    if all(v is None for v in (identity, identity_regexp, issuer, issuer_regexp)):
        return None
    try:
        return Identity(
            subject=identity,
            issuer=issuer,
            subject_regexp=identity_regexp,
            issuer_regexp=issuer_regexp,
        )
    except PolicyError as exc:
        raise UsageError(
            exc.message.replace("subjectRegExp", "--certificate-identity-regexp"),
            hint="give one identity flag and one issuer flag",
        ) from exc


def _verified_item(
    layout: str,
    kind: str,
    signer: str,
    predicate_type: str | None,
    predicate: Any,
    with_predicate: bool,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "where": layout,
        "kind": kind,
        "signer": signer,
        "predicateType": predicate_type,
    }
    if with_predicate:
        item["predicate"] = predicate
    return item


@dataclass(frozen=True)
class Outcome:
    """What both verification paths (authority flags, policy file) report the same way."""

    image: str
    digest: str
    items: list[dict[str, Any]]
    rejected: list[dict[str, str]]
    relaxations: list[str]
    predicate: Any = None
    warnings: list[str] | None = None
    """Set only by a policy in ``mode: warn`` that would have denied: exit 0, not verified."""
    policy: str | None = None
    """The policy file that decided (and that granted any relaxation)."""

    def to_json(self, key: str) -> dict[str, Any]:
        doc = {
            "image": self.image,
            "digest": self.digest,
            "verified": not self.warnings,
            key: self.items,
            "rejected": self.rejected,
            "relaxations": self.relaxations,
            "policy": self.policy,
        }
        if self.warnings:
            doc["warnings"] = self.warnings
        return doc

    def note_relaxations_and_warnings(self) -> None:
        """Relaxations and warn-mode denials go to stderr even with --quiet: a weakened check
        must never pass silently (SECURITY R1)."""
        for relaxation in self.relaxations:
            click.echo(relaxation_line(relaxation, self.policy), err=True)
        for warning in self.warnings or []:
            click.echo(f"warning: policy in warn mode would deny: {warning}", err=True)


def _from_verdict(verdict: ImageVerdict, with_predicate: bool) -> Outcome:
    items = [
        _verified_item(
            f"{a.evidence.layout.value} {a.evidence.manifest_digest}",
            a.evidence.kind.value,
            a.statement.signer,
            a.statement.predicate_type,
            a.statement.predicate,
            with_predicate,
        )
        for a in verdict.accepted
    ]
    rejected = [{"candidate": s.candidate, "reason": s.reason} for s in verdict.skipped]
    predicate = verdict.accepted[0].statement.predicate
    return Outcome(verdict.image, str(verdict.digest), items, rejected, [], predicate)


def _from_policy(verdict: PolicyVerdict, predicate_type: str | None, policy_source: str) -> Outcome:
    decision = verdict.decision
    chosen = decision.attestations if predicate_type else decision.signatures
    items = [
        _verified_item(
            f"authority {name}",
            verified.kind,
            verified.signer,
            verified.predicate_type,
            verified.statement.predicate if verified.statement else None,
            predicate_type is not None,
        )
        for name, verified in chosen
        if predicate_type is None or verified.predicate_type == predicate_type
    ]
    predicate = None
    if predicate_type is not None:
        found = verdict.attestation(predicate_type)
        predicate = found.statement.predicate if found and found.statement else None
    rejected = [{"candidate": "policy", "reason": r} for r in decision.reasons]
    warnings = None if decision.allowed else list(decision.reasons)
    return Outcome(
        verdict.image,
        str(verdict.digest),
        items,
        rejected,
        list(decision.relaxations),
        predicate,
        warnings,
        policy_source,
    )


def _emit_json(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, sort_keys=True))


def _authority_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--key",
                "key_path",
                type=click.Path(dir_okay=False),
                help="Public key (cosign.pub / PEM). Requires a transparency-log entry; offline "
                "key signatures need --policy with a tlog waiver instead.",
            ),
            click.option(
                "--certificate-identity", "identity", help="Exact SAN of the signing certificate."
            ),
            click.option(
                "--certificate-identity-regexp",
                "identity_regexp",
                help="SAN regex, matched in full (anchored).",
            ),
            click.option(
                "--certificate-oidc-issuer", "issuer", help="Exact OIDC issuer of the certificate."
            ),
            click.option(
                "--certificate-oidc-issuer-regexp",
                "issuer_regexp",
                help="Issuer regex, matched in full (anchored).",
            ),
            click.option(
                "--trusted-root",
                type=click.Path(dir_okay=False),
                help="trusted_root.json (default: the public-good root shipped with sigstore).",
            ),
            click.option(
                "--policy",
                "policy_path",
                type=click.Path(dir_okay=False),
                help="Policy file (YAML, see policies/verify-*.yaml); the only place a "
                "transparency-log requirement can be waived.",
            ),
            click.option(
                "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
            ),
            _insecure_option,
        ]
    ):
        func = option(func)
    return func


def _run_verify(
    image: str,
    *,
    predicate_type: str | None,
    key_path: str | None,
    identity: Identity | None,
    trusted_root: str | None,
    policy_path: str | None,
    output: str,
    insecure_registry: bool,
) -> Outcome:
    try:
        ref = ImageRef.parse(image)
        with_predicate = predicate_type is not None
        if policy_path is not None:
            if key_path or identity or trusted_root:
                raise UsageError(
                    "--policy cannot be combined with --key, --trusted-root or certificate flags",
                    hint="put authorities and the trusted root in the policy file",
                )
            policy = load_policy(policy_path)
            with _store(ref, insecure_registry) as store:
                verdict = verify_with_policy(store, ref, policy, attestation_type=predicate_type)
            return _from_policy(verdict, predicate_type, policy.source)
        verifier = _verifier(key_path, identity, trusted_root)
        wanted = Wanted.ATTESTATION if with_predicate else Wanted.SIGNATURE
        with _store(ref, insecure_registry) as store:
            image_verdict = verify_image(
                store, ref, verifier, wanted=wanted, predicate_type=predicate_type
            )
        return _from_verdict(image_verdict, with_predicate)
    except Error as exc:
        if output == "json":
            _emit_json({"image": image, "verified": False, "error": exc.diagnostics()})
        raise


@cli.command("verify")
@click.argument("image")
@_authority_options
def verify_command(
    image: str,
    key_path: str | None,
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
    trusted_root: str | None,
    policy_path: str | None,
    output: str,
    insecure_registry: bool,
) -> None:
    """Verify IMAGE's signature; print the verified reference pinned by digest.

    The reference is resolved to a digest once; only signatures whose signed content names
    that digest count. Exit 0 verified, 1 rejected, 2 usage, 3 could not check.
    """
    outcome = _run_verify(
        image,
        predicate_type=None,
        key_path=key_path,
        identity=_identity(identity, identity_regexp, issuer, issuer_regexp),
        trusted_root=trusted_root,
        policy_path=policy_path,
        output=output,
        insecure_registry=insecure_registry,
    )
    if output == "json":
        _emit_json(outcome.to_json("signatures"))
        return
    for item in outcome.items:
        _note(f"Verified {item['kind']} signature ({item['where']}) by {item['signer']}")
    outcome.note_relaxations_and_warnings()
    click.echo(outcome.image)


@cli.command("verify-attestation")
@click.argument("image")
@click.option(
    "--type",
    "type_name",
    required=True,
    help="spdx, cyclonedx, slsaprovenance, ... or a predicate URI.",
)
@click.option(
    "--predicate-output",
    type=click.Path(dir_okay=False),
    help="Also write the verified predicate to this file.",
)
@_authority_options
def verify_attestation_command(
    image: str,
    type_name: str,
    predicate_output: str | None,
    key_path: str | None,
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
    trusted_root: str | None,
    policy_path: str | None,
    output: str,
    insecure_registry: bool,
) -> None:
    """Verify an attestation of the given type about IMAGE and print its predicate.

    Text output: the verified predicate as JSON on stdout, the pinned reference on stderr.
    """
    predicate_type = _predicate_type(type_name)
    outcome = _run_verify(
        image,
        predicate_type=predicate_type,
        key_path=key_path,
        identity=_identity(identity, identity_regexp, issuer, issuer_regexp),
        trusted_root=trusted_root,
        policy_path=policy_path,
        output=output,
        insecure_registry=insecure_registry,
    )
    if predicate_output is not None:
        atomic_write_bytes(Path(predicate_output), strictjson.dumps_pretty(outcome.predicate))
    if output == "json":
        _emit_json(outcome.to_json("attestations"))
        return
    outcome.note_relaxations_and_warnings()
    _note(f"Verified {predicate_type} attestation of {outcome.image}")
    click.echo(json.dumps(outcome.predicate, indent=2, sort_keys=True))
