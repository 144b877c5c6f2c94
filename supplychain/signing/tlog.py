"""Rekor transparency-log entries: parse, bind to the signature, verify SET and inclusion proof.

Why this is ours: sigstore-python verifies tlog entries only for certificate bundles, and the
historic cosign bugs in this area (SECURITY class C) were all "the entry was valid, but for
something else". So an entry counts only when (1) its body names the same signature, the same
key and the hash of the same artifact or payload as the signature being verified, and (2) it is
vouched for by a log key from the trusted root chosen by ``logID``: a valid SET (inclusion
promise) and/or a valid inclusion proof with a signed checkpoint. An entry that fails any check
is a rejection, never "no entry".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import rfc8785

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, VerificationError
from supplychain.signing import dsse, intoto_entry
from supplychain.signing.encoding import b64decode_strict
from supplychain.signing.trustroot import LogKey, TrustedRoot

MAX_PROOF_HASHES = 64
CLOCK_SKEW_SECONDS = 300


@dataclass(frozen=True)
class InclusionProof:
    log_index: int
    root_hash: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True)
class TlogEntry:
    log_index: int
    log_id: bytes
    kind: str
    version: str
    integrated_time: int
    signed_entry_timestamp: bytes | None
    inclusion_proof: InclusionProof | None
    body: bytes


@dataclass(frozen=True)
class LogEvidence:
    """What a verified entry proves: when (only with a SET) and where."""

    log_index: int
    integrated_time: int | None
    has_promise: bool
    has_proof: bool


def _int64(value: Any, what: str) -> int:
    """Protobuf-JSON int64: a decimal string (or a number), never negative."""
    if isinstance(value, bool):
        raise InvalidInputError("expected an integer", subject=what)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        raise InvalidInputError(f"not a non-negative int64: {str(value)[:40]!r}", subject=what)
    if number < 0 or number >= 2**63:
        raise InvalidInputError("int64 out of range", subject=what)
    return number


def parse_entry(doc: Any, *, what: str = "tlog entry") -> TlogEntry:
    if not isinstance(doc, dict):
        raise InvalidInputError("expected an object", subject=what)
    try:
        kind_version = doc["kindVersion"]
        kind = kind_version["kind"]
        version = kind_version["version"]
        log_id = b64decode_strict(doc["logId"]["keyId"], what=f"{what} logId")
        body = b64decode_strict(doc["canonicalizedBody"], what=f"{what} canonicalizedBody")
        log_index = _int64(doc["logIndex"], f"{what} logIndex")
        integrated = _int64(doc.get("integratedTime", "0"), f"{what} integratedTime")
    except (KeyError, TypeError) as exc:
        raise InvalidInputError("missing or malformed field", subject=what) from exc
    if not isinstance(kind, str) or not isinstance(version, str):
        raise InvalidInputError("kindVersion must hold strings", subject=what)
    promise = doc.get("inclusionPromise")
    set_bytes = None
    if promise is not None:
        if not isinstance(promise, dict) or "signedEntryTimestamp" not in promise:
            raise InvalidInputError("malformed inclusionPromise", subject=what)
        set_bytes = b64decode_strict(promise["signedEntryTimestamp"], what=f"{what} SET")
    proof = _proof(doc.get("inclusionProof"), what) if doc.get("inclusionProof") else None
    return TlogEntry(log_index, log_id, kind, version, integrated, set_bytes, proof, body)


def _proof(doc: Any, what: str) -> InclusionProof:
    try:
        hashes = doc["hashes"]
        if not isinstance(hashes, list) or len(hashes) > MAX_PROOF_HASHES:
            raise InvalidInputError("too many or malformed proof hashes", subject=what)
        checkpoint = doc["checkpoint"]["envelope"]
        if not isinstance(checkpoint, str):
            raise InvalidInputError("checkpoint must be a string", subject=what)
        return InclusionProof(
            log_index=_int64(doc["logIndex"], f"{what} inclusionProof.logIndex"),
            root_hash=b64decode_strict(doc["rootHash"], what=f"{what} rootHash"),
            tree_size=_int64(doc["treeSize"], f"{what} treeSize"),
            hashes=tuple(b64decode_strict(h, what=f"{what} proof hash") for h in hashes),
            checkpoint=checkpoint,
        )
    except (KeyError, TypeError) as exc:
        raise InvalidInputError("malformed inclusionProof", subject=what) from exc


# --- binding: the body must describe exactly the signature under verification ----------------


@dataclass(frozen=True)
class Expectation:
    """What the body must name. ``material_der`` is the SPKI DER (key) or certificate DER."""

    signature: bytes
    material_der: bytes
    artifact_sha256: bytes | None = None
    payload_sha256: bytes | None = None
    envelope: dsse.Envelope | None = None
    """The DSSE envelope itself, needed only to bind ``intoto`` 0.0.2 bodies."""
    envelope_bytes: bytes | None = None
    """The envelope exactly as stored (a legacy ``.att`` layer): cosign hashed these bytes."""


def check_body(entry: TlogEntry, expected: Expectation, *, what: str) -> None:
    body = strictjson.loads_object(entry.body, what=f"{what} body")
    if body.get("kind") != entry.kind or body.get("apiVersion") != entry.version:
        raise VerificationError("body kind/version differ from kindVersion", subject=what)
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise VerificationError("body has no spec", subject=what)
    try:
        if (entry.kind, entry.version) == ("hashedrekord", "0.0.1"):
            _check_hashedrekord(spec, expected, what)
        elif (entry.kind, entry.version) == ("dsse", "0.0.1"):
            _check_dsse(spec, expected, what)
        elif (entry.kind, entry.version) == ("intoto", "0.0.2"):
            envelope = expected.envelope
            if envelope is None or envelope.only_signature(what=what).sig != expected.signature:
                raise VerificationError(
                    "an intoto entry needs the signed DSSE envelope", subject=what
                )
            intoto_entry.check_body(
                spec,
                envelope,
                expected.material_der,
                what=what,
                envelope_bytes=expected.envelope_bytes,
            )
        else:
            raise VerificationError(
                f"unsupported tlog entry kind {entry.kind} {entry.version}", subject=what
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise VerificationError("malformed tlog body", subject=what) from exc


def _material_der(b64_pem: str, what: str) -> bytes:
    from supplychain.signing.encoding import pem_decode_one

    pem = b64decode_strict(b64_pem, what=f"{what} body key")
    _, der = pem_decode_one(pem, labels=("PUBLIC KEY", "CERTIFICATE"), what=f"{what} body key")
    return der


def _check_hashedrekord(spec: dict[str, Any], expected: Expectation, what: str) -> None:
    data_hash = spec["data"]["hash"]
    if data_hash["algorithm"] != "sha256":
        raise VerificationError("tlog body hash is not sha256", subject=what)
    wanted = expected.artifact_sha256
    if wanted is None or not hmac.compare_digest(data_hash["value"], wanted.hex()):
        raise VerificationError("tlog body names a different artifact", subject=what)
    signature = spec["signature"]
    body_sig = b64decode_strict(signature["content"], what=f"{what} body signature")
    if not hmac.compare_digest(body_sig, expected.signature):
        raise VerificationError("tlog body names a different signature", subject=what)
    body_key = _material_der(signature["publicKey"]["content"], what)
    if not hmac.compare_digest(body_key, expected.material_der):
        raise VerificationError("tlog body names a different key", subject=what)


def _check_dsse(spec: dict[str, Any], expected: Expectation, what: str) -> None:
    payload_hash = spec["payloadHash"]
    wanted = expected.payload_sha256
    if payload_hash["algorithm"] != "sha256" or wanted is None:
        raise VerificationError("tlog body payload hash is not sha256", subject=what)
    if not hmac.compare_digest(payload_hash["value"], wanted.hex()):
        raise VerificationError("tlog body names a different payload", subject=what)
    signatures = spec["signatures"]
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise VerificationError("tlog body must carry exactly one signature", subject=what)
    entry = signatures[0]
    body_sig = b64decode_strict(entry["signature"], what=f"{what} body signature")
    if not hmac.compare_digest(body_sig, expected.signature):
        raise VerificationError("tlog body names a different signature", subject=what)
    if not hmac.compare_digest(_material_der(entry["verifier"], what), expected.material_der):
        raise VerificationError("tlog body names a different key", subject=what)


# --- the log's own evidence ------------------------------------------------------------------


def verify_entry(
    entry: TlogEntry,
    expected: Expectation,
    trust: TrustedRoot,
    *,
    what: str = "tlog entry",
    now: float | None = None,
) -> LogEvidence:
    """Bind the entry to the signature, then verify its SET and/or inclusion proof."""
    check_body(entry, expected, what=what)
    log = trust.log_key(entry.log_id)
    if log is None:
        raise VerificationError("entry's log is not in the trusted root", subject=what)
    if entry.signed_entry_timestamp is None and entry.inclusion_proof is None:
        raise VerificationError("entry has neither an inclusion promise nor a proof", subject=what)
    current = time.time() if now is None else now
    if entry.integrated_time > current + CLOCK_SKEW_SECONDS:
        raise VerificationError("integrated time is in the future", subject=what)
    when = dt.datetime.fromtimestamp(entry.integrated_time, tz=dt.timezone.utc)
    if entry.signed_entry_timestamp is not None:
        if not log.valid_at(when):
            raise VerificationError("log key was not valid at the integrated time", subject=what)
        _verify_set(entry, log, what)
    if entry.inclusion_proof is not None:
        _verify_inclusion(entry, entry.inclusion_proof, log, what)
    return LogEvidence(
        log_index=entry.log_index,
        integrated_time=entry.integrated_time if entry.signed_entry_timestamp else None,
        has_promise=entry.signed_entry_timestamp is not None,
        has_proof=entry.inclusion_proof is not None,
    )


def _verify_set(entry: TlogEntry, log: LogKey, what: str) -> None:
    import base64

    payload: Any = {
        "body": base64.b64encode(entry.body).decode("ascii"),
        "integratedTime": entry.integrated_time,
        "logIndex": entry.log_index,
        "logID": entry.log_id.hex(),
    }
    assert entry.signed_entry_timestamp is not None
    log.verify(entry.signed_entry_timestamp, rfc8785.dumps(payload), what=f"{what} SET")


def _leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(
    index: int, tree_size: int, leaf: bytes, proof: tuple[bytes, ...]
) -> bytes:
    """RFC 9162 §2.1.3.2: recompute the tree root from a leaf hash and its audit path."""
    if index >= tree_size:
        raise VerificationError("leaf index is outside the tree")
    inner = (index ^ (tree_size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(proof) != inner + border:
        raise VerificationError(
            f"inclusion proof has {len(proof)} hashes, expected {inner + border}"
        )
    node = leaf
    for i, sibling in enumerate(proof[:inner]):
        if len(sibling) != 32:
            raise VerificationError("proof hash is not 32 bytes")
        node = _node_hash(sibling, node) if (index >> i) & 1 else _node_hash(node, sibling)
    for sibling in proof[inner:]:
        if len(sibling) != 32:
            raise VerificationError("proof hash is not 32 bytes")
        node = _node_hash(sibling, node)
    return node


def _verify_inclusion(entry: TlogEntry, proof: InclusionProof, log: LogKey, what: str) -> None:
    root = root_from_inclusion_proof(
        proof.log_index, proof.tree_size, _leaf_hash(entry.body), proof.hashes
    )
    if not hmac.compare_digest(root, proof.root_hash):
        raise VerificationError("inclusion proof does not lead to the root hash", subject=what)
    size, root_hash = verify_checkpoint(proof.checkpoint, log, what=f"{what} checkpoint")
    if size != proof.tree_size or not hmac.compare_digest(root_hash, proof.root_hash):
        raise VerificationError("checkpoint does not match the inclusion proof", subject=what)


def verify_checkpoint(text: str, log: LogKey, *, what: str) -> tuple[int, bytes]:
    """Verify a signed note from a Rekor v1 log; returns (tree size, root hash).

    Note = body lines, a blank line, then ``— <name> <base64(4-byte key hint || signature)>``
    lines. The log key's hint is the first 4 bytes of its key id; exactly the body (through the
    blank line's newline excluded) is signed.
    """
    body, sep, signatures = text.partition("\n\n")
    if not sep:
        raise VerificationError("checkpoint has no signature block", subject=what)
    lines = body.split("\n")
    if len(lines) < 3:
        raise VerificationError("checkpoint body is too short", subject=what)
    try:
        size = int(lines[1]) if lines[1].isdigit() else -1
    except ValueError:
        size = -1
    if size < 0:
        raise VerificationError("checkpoint tree size is not a number", subject=what)
    root_hash = b64decode_strict(lines[2], what=f"{what} root hash")
    signed = (body + "\n").encode("utf-8")
    for line in signatures.split("\n"):
        if not line:
            continue
        if not line.startswith("\u2014 "):
            raise VerificationError("malformed checkpoint signature line", subject=what)
        parts = line[2:].rsplit(" ", 1)
        if len(parts) != 2:
            raise VerificationError("malformed checkpoint signature line", subject=what)
        blob = b64decode_strict(parts[1], what=f"{what} signature")
        if len(blob) < 5:
            raise VerificationError("checkpoint signature too short", subject=what)
        if not hmac.compare_digest(blob[:4], log.key_id[:4]):
            continue
        log.verify(blob[4:], signed, what=what)
        return size, root_hash
    raise VerificationError("no checkpoint signature by the log's key", subject=what)
