"""Build hostile and ordinary image layers, and OCI layouts holding them, for the layer tests.

Nothing big is committed: the tests import this file and generate what they need into temp
dirs (a "10 GiB" gzip bomb is 160 concatenated gzip members of 64 MiB of zeros, about 10 MiB).
Tar headers are written by hand here, because the point is to write what ``tarfile`` would
refuse or normalise: ``..`` names, absolute names, NUL bytes, PAX records claiming a 1 GiB
path, hard links out of the archive, 41-hop symlink chains, devices.

Usage: ``python testdata/layers/make_layers.py OUTDIR`` writes every hostile layer as a file
(``OUTDIR/<name>.tar[.gz|.zst]``) and one OCI layout per case (``OUTDIR/<name>-oci``), so the
CLI can be pointed at them by hand.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

MTIME = 1704067200
MiB = 1024 * 1024

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


# --- raw tar ---------------------------------------------------------------------------------


def _octal(value: int, width: int) -> bytes:
    return (b"%0*o" % (width - 1, value)) + b"\0"


def header(
    name: bytes | str,
    *,
    size: int = 0,
    typeflag: bytes = b"0",
    linkname: bytes | str = b"",
    mode: int = 0o644,
    size_field: bytes | None = None,
) -> bytes:
    """One ustar header block with a correct checksum; ``name`` is written as given (≤ 100)."""
    raw_name = name.encode() if isinstance(name, str) else name
    raw_link = linkname.encode() if isinstance(linkname, str) else linkname
    block = bytearray(512)
    block[0 : len(raw_name[:100])] = raw_name[:100]
    block[100:108] = _octal(mode, 8)
    block[108:116] = _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = size_field if size_field is not None else _octal(size, 12)
    block[136:148] = _octal(MTIME, 12)
    block[156:157] = typeflag
    block[157 : 157 + len(raw_link[:100])] = raw_link[:100]
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def pad(data: bytes) -> bytes:
    return data + b"\0" * ((-len(data)) % 512)


def pax_header(records: dict[str, str], *, declared: int | None = None) -> bytes:
    """A PAX ``x`` header; ``declared`` overrides the size field (to claim more than is there)."""
    body = b""
    for key, value in records.items():
        item = f" {key}={value}\n".encode()
        length = len(item) + len(str(len(item)))
        if len(str(length)) != len(str(len(item))):
            length += 1
        body += str(length).encode() + item
    size = declared if declared is not None else len(body)
    return header("././@PaxHeader", size=size, typeflag=b"x") + pad(body)


@dataclass
class Entry:
    """One member. ``kind``: file, dir, symlink, hardlink, char, block, fifo."""

    name: str
    kind: str = "file"
    data: bytes = b""
    link: str = ""
    mode: int = 0o644


_FLAGS = {
    "file": b"0",
    "hardlink": b"1",
    "symlink": b"2",
    "char": b"3",
    "block": b"4",
    "dir": b"5",
    "fifo": b"6",
}


def tar_bytes(entries: Iterable[Entry | bytes], *, end: bool = True) -> bytes:
    """A tar of ``entries`` (raw ``bytes`` items are copied verbatim, for crafted records)."""
    out = io.BytesIO()
    for entry in entries:
        if isinstance(entry, bytes):
            out.write(entry)
            continue
        name = entry.name
        if len(name.encode()) > 100 or len(entry.link.encode()) > 100:
            out.write(
                pax_header({"path": name, "linkpath": entry.link} if entry.link else {"path": name})
            )
        size = len(entry.data) if entry.kind == "file" else 0
        out.write(
            header(
                name, size=size, typeflag=_FLAGS[entry.kind], linkname=entry.link, mode=entry.mode
            )
        )
        if size:
            out.write(pad(entry.data))
    if end:
        out.write(b"\0" * 1024)
    return out.getvalue()


def tar_of_tree(root: Path) -> bytes:
    """A deterministic tar of a directory tree (for real package metadata from the builders)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            info = tar.gettarinfo(str(path), arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = MTIME
            if info.isreg():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return out.getvalue()


# --- compression -----------------------------------------------------------------------------


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def zstd_bytes(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(data)


def compress(data: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip_bytes(data)
    if compression == "zstd":
        return zstd_bytes(data)
    return data


def gzip_bomb(total: int = 10 * 1024 * MiB, member: int = 64 * MiB) -> bytes:
    """A tar header claiming one huge file, then zeros: ``total`` bytes out of ~total/1000 in.

    Concatenated gzip members (RFC 1952) keep generation fast: one 64 MiB member compressed
    once, repeated.
    """
    first = header("zeros", size=min(total, 8 * 1024 * MiB - 1))
    one = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = one.compress(b"\0" * member) + one.flush()
    return gzip_bytes(first) + zeros * max(1, total // member)


def zstd_bomb(total: int = 10 * 1024 * MiB) -> bytes:
    """Zeros under a tar header, zstd-compressed in streaming mode (no content size)."""
    compressor = zstandard.ZstdCompressor(level=1)
    out = io.BytesIO()
    with compressor.stream_writer(out, closefd=False) as writer:
        writer.write(header("zeros", size=min(total, 8 * 1024 * MiB - 1)))
        block = b"\0" * (16 * MiB)
        for _ in range(max(1, total // len(block))):
            writer.write(block)
    return out.getvalue()


def zstd_huge_window() -> bytes:
    """A zstd frame whose header asks for a 2 GiB window (NT-T8), written by hand.

    Frame header (RFC 8878 §3.1.1.1): no single-segment flag, so a Window_Descriptor follows;
    exponent 21 → windowLog 31. Then one raw, last block holding a small tar.
    """
    payload = tar_bytes([Entry("a", data=b"x")])
    descriptor = b"\x00"  # no content size, not single segment, no checksum, no dict
    window = bytes([21 << 3])
    block_header = ((len(payload) << 3) | 0b001).to_bytes(3, "little")  # raw, last block
    return b"\x28\xb5\x2f\xfd" + descriptor + window + block_header + payload


# --- hostile layers (SECURITY.md §4.4) ------------------------------------------------------


def hostile_layers() -> dict[str, bytes]:
    """Uncompressed hostile tars by test id."""
    chain = [Entry(f"l{i}", "symlink", link=f"l{i + 1}") for i in range(41)]
    chain.append(Entry("l41", "file", data=b"end of chain\n"))
    return {
        "traversal": tar_bytes(
            [Entry("../../etc/passwd", data=b"root:x:0:0\n"), Entry("ok", data=b"ok\n")]
        ),
        "absolute": tar_bytes([Entry("/etc/cron.d/x", data=b"* * * * * root sh\n")]),
        "symlink-escape": tar_bytes(
            [Entry("a", "symlink", link="/"), Entry("a/etc/shadow", data=b"inside\n")]
        ),
        "symlink-chain": tar_bytes(chain),
        "hardlink-escape": tar_bytes([Entry("h", "hardlink", link="../../x")]),
        "devices": tar_bytes(
            [Entry("dev/null", "char"), Entry("dev/sda", "block"), Entry("run/fifo", "fifo")]
        ),
        "nul-name": tar_bytes(
            [pax_header({"path": "evil\0name"}), header(b"x", size=0), header(b"fine", size=0)]
        ),
        "pax-huge-path": tar_bytes([pax_header({"path": "x"}, declared=1024 * MiB)], end=False),
        "declared-10g": tar_bytes(
            [header("big", size_field=b"\x80" + (10 * 1024**3).to_bytes(11, "big"))], end=False
        ),
        "duplicates": tar_bytes(
            [Entry("bin/sh", data=b"#!benign\n"), Entry("bin/sh", data=b"#!malicious\n")]
        ),
    }


# --- OCI layouts ----------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(document: object) -> bytes:
    return json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"


@dataclass
class Layer:
    tar: bytes
    compression: str = "gzip"
    # Test hooks: a blob that lies (compressed bytes not of ``tar``) or a wrong media type.
    blob: bytes | None = None
    media_type: str | None = None
    diff_id: str | None = None


@dataclass
class ImageSpec:
    layers: Sequence[Layer]
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


def write_layout(
    root: Path,
    images: Sequence[ImageSpec],
    *,
    tag: str = "latest",
    index: bool | None = None,
    attestation: bool = False,
) -> Path:
    """An OCI layout at ``root``: one manifest, or an index when ``index`` (default: >1 image)."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        digest = _digest(data)
        (blobs / digest.split(":", 1)[1]).write_bytes(data)
        return digest

    manifests = []
    for image in images:
        layer_descs, diff_ids = [], []
        for layer in image.layers:
            blob = layer.blob if layer.blob is not None else compress(layer.tar, layer.compression)
            layer_descs.append(
                {
                    "mediaType": layer.media_type or LAYER_TYPES[layer.compression],
                    "digest": put(blob),
                    "size": len(blob),
                }
            )
            diff_ids.append(layer.diff_id or _digest(layer.tar))
        platform = {"os": image.os, "architecture": image.architecture}
        if image.variant:
            platform["variant"] = image.variant
        config = _json(
            {**platform, "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}}
        )
        manifest = _json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": put(config), "size": len(config)},
                "layers": layer_descs,
            }
        )
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": put(manifest),
                "size": len(manifest),
                "platform": platform,
            }
        )
    use_index = index if index is not None else len(images) > 1
    if attestation and manifests:
        # A BuildKit-style attestation manifest beside the images (SBOM.md §A.2): an image
        # manifest of platform unknown/unknown whose only layer is an in-toto statement.
        statement = _json({"_type": "https://in-toto.io/Statement/v0.1", "subject": []})
        config = _json(
            {
                "architecture": "unknown",
                "os": "unknown",
                "rootfs": {"type": "layers", "diff_ids": [_digest(statement)]},
            }
        )
        attest = _json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": put(config), "size": len(config)},
                "layers": [
                    {
                        "mediaType": "application/vnd.in-toto+json",
                        "digest": put(statement),
                        "size": len(statement),
                    }
                ],
            }
        )
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": put(attest),
                "size": len(attest),
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {
                    "vnd.docker.reference.digest": manifests[0]["digest"],
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            }
        )
        use_index = True
    if use_index:
        index_doc = _json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
        top = {"mediaType": OCI_INDEX, "digest": put(index_doc), "size": len(index_doc)}
    else:
        top = {k: v for k, v in manifests[0].items() if k != "platform"}
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (root / "index.json").write_bytes(_json({"schemaVersion": 2, "manifests": [top]}))
    (root / "oci-layout").write_bytes(_json({"imageLayoutVersion": "1.0.0"}))
    return root


def main(out: str) -> None:
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for name, data in hostile_layers().items():
        (target / f"{name}.tar").write_bytes(data)
        write_layout(target / f"{name}-oci", [ImageSpec([Layer(data)])])
    (target / "gzip-bomb.tar.gz").write_bytes(gzip_bomb())
    (target / "zstd-window.tar.zst").write_bytes(zstd_huge_window())
    print(f"wrote {len(os.listdir(target))} entries to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hostile-layers")
