"""Java cataloger: pom.properties, manifest-only jars, nested and shaded jars, hostile zips."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from types import ModuleType

from supplychain.catalog.fileview import DirView
from supplychain.catalog.java import MAX_DEPTH, JavaCataloger
from tests.catalog.helpers import by_name, edges


def test_archives(trees: dict[str, Path]) -> None:
    result = JavaCataloger().catalog(DirView(trees["debian"]))
    assert sorted({p.purl or "" for p in result.packages}) == [
        "pkg:generic/commons-logging@1.2",  # manifest only: never a guessed maven groupId
        "pkg:generic/demo-app@0.0.1",
        "pkg:maven/com.example/guava-shaded@1.0",
        "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
        "pkg:maven/com.google.guava/guava@32.1.3-jre",
        "pkg:maven/org.yaml/snakeyaml@2.2",
    ]
    assert [f.subject for f in result.findings] == ["opt/lib/broken.jar"]


def test_checksums_are_of_the_archive(trees: dict[str, Path]) -> None:
    result = JavaCataloger().catalog(DirView(trees["debian"]))
    data = (trees["debian"] / "opt/lib/snakeyaml-2.2.jar").read_bytes()
    top = next(
        p
        for p in result.packages
        if ("supplychain:location", "opt/lib/snakeyaml-2.2.jar") in p.properties
    )
    assert {c.algorithm: c.value for c in top.checksums} == {
        "SHA1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        "SHA256": hashlib.sha256(data).hexdigest(),
    }
    assert top.license_declared == "Apache-2.0"
    assert top.supplier == "Organization: SnakeYAML"


def test_nested_and_shaded_are_contained(trees: dict[str, Path]) -> None:
    result = JavaCataloger().catalog(DirView(trees["debian"]))
    contains = edges(result, "CONTAINS")
    assert ("demo-app", "snakeyaml") in contains
    assert ("demo-app", "jackson-core") in contains
    assert ("guava-shaded", "guava") in contains
    nested = by_name(result, "jackson-core")
    assert ("supplychain:location", "opt/app/app.jar!/BOOT-INF/lib/jackson-core-2.15.2.jar") in (
        nested.properties
    )


def _nest(depth: int, builder: ModuleType) -> bytes:
    inner = builder.jar(
        {"META-INF/maven/g/leaf/pom.properties": builder.pom_properties("g", "leaf", "1")}
    )
    for level in range(depth):
        inner = builder.jar(
            {
                f"META-INF/maven/g/l{level}/pom.properties": builder.pom_properties(
                    "g", f"l{level}", "1"
                ),
                f"lib/l{level}.jar": inner,
            }
        )
    return bytes(inner)


def test_nesting_depth_is_capped(tmp_path: Path, builder: ModuleType) -> None:
    (tmp_path / "deep.jar").write_bytes(_nest(6, builder))
    result = JavaCataloger().catalog(DirView(tmp_path))
    assert len(result.packages) == MAX_DEPTH


def test_zip_bomb_member_is_not_read_whole(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", b"A" * (8 * 1024 * 1024))  # > 1 MiB cap
    (tmp_path / "bomb.jar").write_bytes(buffer.getvalue())
    result = JavaCataloger().catalog(DirView(tmp_path))
    assert [f.code for f in result.findings] == ["sbom.not-analysed"]
    assert [p.name for p in result.packages] == ["bomb"]


def test_wants() -> None:
    c = JavaCataloger()
    assert all(c.wants(f"x/a{e}") for e in (".jar", ".WAR", ".ear", ".jpi", ".hpi", ".par"))
    assert not c.wants("x/a.zip")


def test_shaded_jar_main_is_the_longest_matching_artifact(
    tmp_path: Path, builder: ModuleType
) -> None:
    # "guava" sorts (and prefixes) before "guava-shaded": the file name decides.
    data = builder.jar(
        {
            "META-INF/maven/a.guava/guava/pom.properties": builder.pom_properties(
                "a.guava", "guava", "32.1.3-jre"
            ),
            "META-INF/maven/z.example/guava-shaded/pom.properties": builder.pom_properties(
                "z.example", "guava-shaded", "1.0"
            ),
        }
    )
    (tmp_path / "guava-shaded-1.0.jar").write_bytes(data)
    result = JavaCataloger().catalog(DirView(tmp_path))
    assert ("guava-shaded", "guava") in edges(result, "CONTAINS")
