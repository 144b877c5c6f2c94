"""RFC 3161 signed timestamps over a bundle's signature, for our own keyless verifier.

Why: a timestamp from a trusted TSA is an independent "signed no later than" time; the Fulcio
certificate must have been valid then. The token must be signed by a TSA chain from the
trusted root (``rfc3161-client`` checks the CMS signature, the message imprint over the
signature bytes and the chain), and its time must fall inside that TSA's ``validFor`` window,
a closed interval.

Stricter than sigstore-python on purpose: a token that does not verify under any trusted TSA
is a rejection here, not silently ignored. A bundle that carries unverifiable evidence has been
tampered with or was made against another root.
"""

from __future__ import annotations

import datetime as dt

from supplychain.errors import VerificationError
from supplychain.signing.keylessroot import KeylessRoot


def verified_times(
    tokens: tuple[bytes, ...], signature: bytes, root: KeylessRoot, *, what: str
) -> list[dt.datetime]:
    """The time of each token; VerificationError if any token fails to verify."""
    if not tokens:
        return []
    if not root.timestamp_authorities:
        raise VerificationError(
            "bundle carries signed timestamps but the trusted root names no TSA", subject=what
        )
    if len(set(tokens)) != len(tokens):
        raise VerificationError("duplicate signed timestamp", subject=what)
    return [
        _verify_one(token, signature, root, f"{what} timestamp {i}")
        for i, token in enumerate(tokens)
    ]


def _verify_one(token: bytes, signature: bytes, root: KeylessRoot, what: str) -> dt.datetime:
    from rfc3161_client import VerificationError as TsaVerificationError
    from rfc3161_client import VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise VerificationError("malformed RFC 3161 timestamp", subject=what) from exc
    when = response.tst_info.gen_time
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    outside_window = False
    for tsa in root.timestamp_authorities:
        if len(tsa.chain) < 2:
            continue
        builder = VerifierBuilder().tsa_certificate(tsa.chain[0])
        builder = builder.add_root_certificate(tsa.chain[-1])
        for intermediate in tsa.chain[1:-1]:
            builder = builder.add_intermediate_certificate(intermediate)
        try:
            builder.build().verify_message(response, signature)
        except TsaVerificationError:
            continue
        if tsa.valid_at(when):
            return when
        outside_window = True
    if outside_window:
        raise VerificationError(
            "timestamp is outside the validity window of its TSA in the trusted root",
            subject=what,
        )
    raise VerificationError("timestamp does not verify under any trusted TSA", subject=what)
