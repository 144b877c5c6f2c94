#!/bin/sh
# Rebuild hello-linux-amd64: a tiny Go binary with build info, for the image catalogers' tests.
# Reproducible: -trimpath, stripped, no VCS stamping, private caches, no network.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here/src"
HOME="$tmp" GOPATH="$tmp/gopath" GOCACHE="$tmp/cache" GOPROXY=off GOFLAGS=-mod=mod \
  GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
  go build -trimpath -buildvcs=false -ldflags="-s -w" -o "$here/hello-linux-amd64" .
