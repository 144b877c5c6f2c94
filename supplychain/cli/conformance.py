"""``supplychain-conformance``: the Sigstore conformance-suite CLI protocol over our library.

The suite drives a client through two verbs, ``sign-bundle`` and ``verify-bundle``; this adapter
maps them onto ``signing.sign`` and ``signing.verify`` so the same code paths the product uses
are the ones the suite judges. With ``--key`` the key decides (material mode, SECURITY class
H) and identity flags are ignored. The identity token is an argument here because the protocol
says so; it is never printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from supplychain._internal.fileio import atomic_write_bytes, read_bounded
from supplychain.cli.signing_blob import artifact_digest
from supplychain.errors import Error, ExitCode, UsageError
from supplychain.signing import keys, sign, trustroot, verify
from supplychain.signing.bundle import MAX_BUNDLE_BYTES
from supplychain.signing.identity import Identity

_STAGING_DIR = "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def conformance() -> None:
    """Sigstore conformance protocol adapter (sign-bundle, verify-bundle)."""


def _staging_root() -> trustroot.TrustedRoot:
    from importlib import resources

    path = resources.files("sigstore") / "_store" / _STAGING_DIR / "trusted_root.json"
    return trustroot.parse(path.read_bytes(), source="sigstore staging (embedded)")


@conformance.command("sign-bundle")
@click.option("--identity-token", required=True)
@click.option("--bundle", "bundle_path", required=True, type=click.Path(dir_okay=False))
@click.option("--staging", is_flag=True)
@click.option("--trusted-root", type=click.Path(dir_okay=False))
@click.option("--signing-config", type=click.Path(dir_okay=False))
@click.argument("file", type=click.Path(dir_okay=False))
def sign_bundle(
    identity_token: str,
    bundle_path: str,
    staging: bool,
    trusted_root: str | None,
    signing_config: str | None,
    file: str,
) -> None:
    """Keyless-sign FILE with the given token into a bundle."""
    if staging or trusted_root or signing_config:
        raise UsageError("only the public-good instance is supported for signing")
    data = read_bounded(file, limit=1 << 31, what=file)
    atomic_write_bytes(bundle_path, sign.sign_blob_keyless(data, token=identity_token))


@conformance.command("verify-bundle")
@click.option("--bundle", "bundle_path", required=True, type=click.Path(dir_okay=False))
@click.option("--certificate-identity", "identity")
@click.option("--certificate-oidc-issuer", "issuer")
@click.option("--key", "key_path")
@click.option("--trusted-root", type=click.Path(dir_okay=False))
@click.option("--staging", is_flag=True)
@click.argument("artifact")
def verify_bundle(
    bundle_path: str,
    identity: str | None,
    issuer: str | None,
    key_path: str | None,
    trusted_root: str | None,
    staging: bool,
    artifact: str,
) -> None:
    """Verify ARTIFACT (a file or sha256:HEX) against the bundle."""
    authority: verify.KeyAuthority | Identity
    if key_path is not None:
        authority = verify.KeyAuthority(keys.load_public_key_file(key_path))
    elif identity is not None and issuer is not None:
        authority = Identity(subject=identity, issuer=issuer)
    else:
        raise UsageError("need --key, or --certificate-identity and --certificate-oidc-issuer")
    if trusted_root:
        trust: trustroot.TrustedRoot | None = trustroot.load_file(trusted_root)
    else:
        trust = _staging_root() if staging else None
    raw = read_bounded(bundle_path, limit=MAX_BUNDLE_BYTES, what=f"bundle {bundle_path}")
    result = verify.verify_bundle(
        raw,
        artifact_digest(artifact),
        authority,
        expect=verify.ANY_PREDICATE,
        trust=trust,
        what=f"bundle {Path(bundle_path).name}",
    )
    click.echo(f"OK: {result.digest} signed by {result.signer}")


def run(argv: list[str] | None = None) -> int:
    """Protocol entry: 0 verified/signed, 1 rejected, 2 usage, 3 could not check."""
    args = sys.argv[1:] if argv is None else argv
    try:
        conformance.main(args=args, prog_name="supplychain-conformance", standalone_mode=False)
        return int(ExitCode.OK)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except Error as exc:
        click.echo(f"supplychain-conformance: error: {exc.diagnostics()}", err=True)
        return int(exc.exit_code)
    except Exception as exc:
        click.echo(
            f"supplychain-conformance: internal error: {type(exc).__name__}: {exc}", err=True
        )
        return int(ExitCode.UNCHECKED)


def main() -> None:
    sys.exit(run())
