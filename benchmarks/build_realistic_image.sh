#!/usr/bin/env bash
# Build a realistic image for benchmarks/bench_sbom.py: a `debootstrap --variant=minbase`
# Debian 12 rootfs as the base layer, then a Python layer (pip packages with dist-info), a Node
# layer (an npm app with node_modules) and a Go layer (a binary with build info), packed as an
# OCI image layout with gzip layers by testdata/layers/make_layers.py.
#
#   bash benchmarks/build_realistic_image.sh OUTDIR      (needs root for debootstrap)
#
# Writes OUTDIR/image-oci (the layout). Needs: debootstrap, pip, npm, go. Mirrors and
# registries are the tools' defaults; set DEBIAN_MIRROR to use another Debian mirror.
set -euo pipefail

out=${1:?usage: build_realistic_image.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work="$out/work"
mkdir -p "$work"

if [ ! -e "$work/base/etc/os-release" ]; then
  rm -rf "$work/base"
  # shellcheck disable=SC2086
  debootstrap --variant=minbase bookworm "$work/base" ${DEBIAN_MIRROR:-}
  rm -rf "$work/base/var/cache/apt/archives/"*.deb
fi

if [ ! -d "$work/python/usr/local/lib/python3.11/site-packages" ]; then
  rm -rf "$work/python"
  python3 -m pip install --quiet --no-compile --no-deps --target \
    "$work/python/usr/local/lib/python3.11/site-packages" \
    requests==2.31.0 urllib3==2.0.7 idna==3.4 certifi==2023.7.22 charset-normalizer==3.3.2 \
    flask==3.0.0 werkzeug==3.0.1 jinja2==3.1.2 markupsafe==2.1.3 itsdangerous==2.1.2 \
    click==8.1.7 blinker==1.7.0 pyyaml==6.0.1 six==1.16.0 attrs==23.1.0
fi

if [ ! -d "$work/node/srv/app/node_modules" ]; then
  rm -rf "$work/node"
  mkdir -p "$work/node/srv/app"
  (cd "$work/node/srv/app" \
    && printf '{"name":"bench-app","version":"1.0.0","private":true}\n' > package.json \
    && npm install --silent --no-audit --no-fund express@4.18.2 lodash@4.17.21 >/dev/null)
fi

if [ ! -x "$work/go/usr/local/bin/hello" ]; then
  rm -rf "$work/go" "$work/gosrc"
  mkdir -p "$work/go/usr/local/bin" "$work/gosrc"
  (cd "$work/gosrc" \
    && printf 'module example.com/hello\n\ngo 1.19\n' > go.mod \
    && printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' > main.go \
    && CGO_ENABLED=0 go build -buildvcs=false -o "$work/go/usr/local/bin/hello" .)
fi

python3 - "$here" "$work" "$out/image-oci" <<'PY'
import importlib.util, shutil, sys
from pathlib import Path

here, work, target = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
spec = importlib.util.spec_from_file_location("make_layers", here / "testdata/layers/make_layers.py")
ml = importlib.util.module_from_spec(spec)
sys.modules["make_layers"] = ml
spec.loader.exec_module(ml)
if target.exists():
    shutil.rmtree(target)
layers = [ml.Layer(ml.tar_of_tree(work / part), "gzip") for part in ("base", "python", "node", "go")]
ml.write_layout(target, [ml.ImageSpec(layers)], tag="bench")
print(f"wrote {target}: {len(layers)} layers")
PY
