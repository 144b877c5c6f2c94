"""Small image builders for the source tests: real layouts and archives, written to tmp dirs."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from supplychain.model import Descriptor, Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.layout import LayoutWriter, encode_json

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "testdata" / "images"
SAMPLE_OCI = SAMPLE_DIR / "sample-oci"
SAMPLE_DOCKER = SAMPLE_DIR / "sample-docker.tar"


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass
class BuiltImage:
    manifest: Descriptor
    config: Descriptor
    layers: list[Descriptor]
    tars: list[bytes]


def add_image(
    writer: LayoutWriter,
    platform: Platform,
    layer_files: list[dict[str, bytes]],
    *,
    diff_ids: list[str] | None = None,
) -> BuiltImage:
    """One image (gzip layers) into ``writer``; ``diff_ids`` may be forged by a test."""
    tars = [tar_of(f) for f in layer_files]
    real_ids = [str(Digest.of(t)) for t in tars]
    config_doc = {
        "architecture": platform.architecture,
        "os": platform.os,
        **({"variant": platform.variant} if platform.variant else {}),
        "rootfs": {"type": "layers", "diff_ids": diff_ids or real_ids},
    }
    config = writer.add_json(config_doc, mt.OCI_CONFIG)
    layers = [writer.add_blob(gz(t), mt.OCI_LAYER_GZIP) for t in tars]
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": config.to_json(),
        "layers": [d.to_json() for d in layers],
    }
    manifest = writer.add_json(manifest_doc, mt.OCI_MANIFEST, platform=platform)
    return BuiltImage(manifest, config, layers, tars)


def add_index(writer: LayoutWriter, entries: list[Descriptor], **fields: object) -> Descriptor:
    doc = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [e.to_json() for e in entries],
    }
    return writer.add_json(doc, mt.OCI_INDEX, **fields)  # type: ignore[arg-type]


def simple_layout(root: Path, *, tag: str = "v1") -> tuple[Descriptor, list[BuiltImage]]:
    """A 2-platform index with 2 layers per image, tagged ``tag``."""
    writer = LayoutWriter(root)
    images = [
        add_image(writer, Platform("linux", "amd64"), [{"a": b"base"}, {"b": b"amd64"}]),
        add_image(writer, Platform("linux", "arm64", "v8"), [{"a": b"base"}, {"b": b"arm64"}]),
    ]
    index = add_index(
        writer,
        [i.manifest for i in images],
        annotations={"org.opencontainers.image.ref.name": tag},
    )
    writer.write_index([index])
    return index, images


def copy_sample(tmp: Path) -> Path:
    target = tmp / "sample-oci"
    shutil.copytree(SAMPLE_OCI, target)
    return target


def tar_directory(directory: Path, target: Path) -> Path:
    """Pack a layout directory as an OCI archive (members relative to the layout root)."""
    with tarfile.open(target, "w") as tar:
        for path in sorted(directory.rglob("*")):
            tar.add(path, arcname=path.relative_to(directory).as_posix(), recursive=False)
    return target


def write_docker_archive(
    target: Path,
    config: bytes,
    layers: list[bytes],
    *,
    repo_tags: list[str] | None = None,
    config_name: str | None = None,
) -> Path:
    import hashlib

    cname = config_name or hashlib.sha256(config).hexdigest() + ".json"
    names = [f"l{i}/layer.tar" for i in range(len(layers))]
    manifest = [{"Config": cname, "RepoTags": repo_tags or ["x:1"], "Layers": names}]
    members = [(cname, config), *zip(names, layers, strict=True)]
    members.append(("manifest.json", json.dumps(manifest).encode()))
    with tarfile.open(target, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def docker_config(diff_ids: list[str], arch: str = "amd64") -> bytes:
    return encode_json(
        {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    )
