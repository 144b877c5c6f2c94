"""Build the sample images in this directory from the rootfs trees beside it, byte for byte.

Outputs (committed, so ``supplychain inspect oci:testdata/images/sample-oci`` works with no
build step):

* ``sample-oci/`` — an OCI image layout whose ``index.json`` names one image index (tag
  ``latest``) with two platforms, linux/amd64 and linux/arm64/v8. Each platform image has three
  gzip layers: ``rootfs/base`` and ``rootfs/app`` (shared), then ``rootfs/arch-<arch>`` (which
  also whiteouts ``etc/motd``).
* ``sample-docker.tar`` — the linux/amd64 image as a legacy ``docker save`` archive
  (``manifest.json``, ``<config>.json``, ``<diff_id>/layer.tar``, uncompressed layers), with the
  same config bytes, so it is the same image (same Docker image ID).

Everything is deterministic: entries sorted, owner 0:0, fixed mtime, modes normalised to
0755/0644 (git keeps only the executable bit), gzip with a fixed header written here (Python's
own ``gzip`` header differs across versions). ``tests/oci/test_sources_testdata.py`` rebuilds
into a temp dir and compares bytes.

Usage: ``python testdata/images/build.py [OUTDIR]`` (default: this directory).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import struct
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOTFS = HERE / "rootfs"
MTIME = 1704067200  # 2024-01-01T00:00:00Z
CREATED = "2024-01-01T00:00:00Z"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

PLATFORMS = [("amd64", ""), ("arm64", "v8")]
REPO_TAG = "supplychain-sample:latest"
# What a publisher states about the image (OCI annotation keys): the SBOM takes the root's
# supplier and declared licence from these, as Artifact Hub does.
LABELS = {
    "org.opencontainers.image.title": "supplychain sample",
    "org.opencontainers.image.vendor": "supplychain sample project",
    "org.opencontainers.image.licenses": "Apache-2.0",
    "org.opencontainers.image.source": "https://example.org/supplychain/sample",
}


def encode(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(tree: Path) -> bytes:
    """An uncompressed, deterministic tar of ``tree`` (paths relative, no leading ``./``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix()):
            name = path.relative_to(tree).as_posix()
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(path)
                info.mode = 0o777
                tar.addfile(info)
            elif stat.S_ISDIR(mode):
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = path.read_bytes()
                info.size = len(data)
                info.mode = 0o755 if mode & stat.S_IXUSR else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """gzip with a fixed header (no name, mtime 0, XFL 2, OS 255) and level 9 deflate."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    body = compressor.compress(data) + compressor.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + trailer


class Blobs:
    """Blobs of an OCI layout being assembled in memory (the sample is a few KiB)."""

    def __init__(self) -> None:
        self.items: dict[str, bytes] = {}

    def add(self, data: bytes, media_type: str, **extra: object) -> dict[str, object]:
        digest = sha256(data)
        self.items[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}


def config_for(arch: str, variant: str, diff_ids: list[str]) -> bytes:
    document: dict[str, object] = {"architecture": arch, "os": "linux"}
    if variant:
        document["variant"] = variant
    document.update(
        {
            "created": CREATED,
            "config": {
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": ["/bin/sh"],
                "WorkingDir": "/srv/app",
                "Labels": dict(LABELS),
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [
                {"created": CREATED, "created_by": "build.py: rootfs/base"},
                {"created": CREATED, "created_by": "build.py: rootfs/app"},
                {"created": CREATED, "created_by": f"build.py: rootfs/arch-{arch}"},
            ],
        }
    )
    return encode(document)


def build(out: Path) -> None:
    """Write ``sample-oci/`` and ``sample-docker.tar`` into ``out`` (replacing old ones)."""
    out.mkdir(parents=True, exist_ok=True)
    blobs = Blobs()
    tars = {name: layer_tar(ROOTFS / name) for name in ("base", "app")}
    platform_descriptors = []
    docker_image: tuple[bytes, list[bytes]] | None = None
    for arch, variant in PLATFORMS:
        plain = [tars["base"], tars["app"], layer_tar(ROOTFS / f"arch-{arch}")]
        diff_ids = [sha256(t) for t in plain]
        config = config_for(arch, variant, diff_ids)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": blobs.add(config, OCI_CONFIG),
            "layers": [blobs.add(gzip_bytes(t), OCI_LAYER_GZIP) for t in plain],
        }
        platform: dict[str, str] = {"architecture": arch, "os": "linux"}
        if variant:
            platform["variant"] = variant
        platform_descriptors.append(blobs.add(encode(manifest), OCI_MANIFEST, platform=platform))
        if arch == "amd64":
            docker_image = (config, plain)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": platform_descriptors}
    top = blobs.add(
        encode(index),
        OCI_INDEX,
        annotations={"org.opencontainers.image.ref.name": "latest", **LABELS},
    )
    write_layout(out / "sample-oci", blobs, top)
    assert docker_image is not None
    write_docker_archive(out / "sample-docker.tar", *docker_image)


def write_layout(target: Path, blobs: Blobs, top: dict[str, object]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".sample-oci.", dir=target.parent))
    try:
        (staging / "blobs" / "sha256").mkdir(parents=True)
        for digest, data in sorted(blobs.items.items()):
            (staging / "blobs" / "sha256" / digest.split(":", 1)[1]).write_bytes(data)
        (staging / "oci-layout").write_bytes(encode({"imageLayoutVersion": "1.0.0"}))
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]}
        (staging / "index.json").write_bytes(encode(index))
        for path in staging.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        staging.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_docker_archive(target: Path, config: bytes, layers: list[bytes]) -> None:
    config_name = sha256(config).split(":", 1)[1] + ".json"
    layer_names = [sha256(t).split(":", 1)[1] + "/layer.tar" for t in layers]
    manifest = [{"Config": config_name, "RepoTags": [REPO_TAG], "Layers": layer_names}]
    members = [(config_name, config)]
    members += list(zip(layer_names, layers, strict=True))
    members.append(("manifest.json", json.dumps(manifest, separators=(",", ":")).encode()))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE
    build(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
