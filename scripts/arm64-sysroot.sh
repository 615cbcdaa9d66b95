#!/usr/bin/env bash
# The Raspberry Pi OS side of the tests on an x86 machine: an arm64 userland made from Debian's own
# arm64 packages (nodejs, OpenBLAS, MPICH, libxgboost and what they depend on), unpacked into
# data/cache/arm64/sysroot, and this project installed for arm64 (npm ci --cpu=arm64) into
# data/cache/arm64/project. test/integration/arm64.test.ts runs edgelab there under qemu-user.
# Needs no root and changes nothing on the system: apt runs on private package lists.
# Idempotent: redone only when the package list or package-lock.json changes. Called by setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/data/cache/arm64"
packages="nodejs libopenblas0-pthread libmpich12 libxgboost0"
want=$( (echo "$packages"; cat package.json package-lock.json .npmrc) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ]; then
  echo "arm64: sysroot and arm64 install up to date ($out)"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/apt/lists/partial" "$out/apt/cache/archives/partial" "$out/debs" "$out/sysroot" "$out/project"
apt_opts=(-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o "Dir::State::Lists=$out/apt/lists"
  -o "Dir::Cache=$out/apt/cache" -o Dir::State::Status=/dev/null -o Debug::NoLocking=1)
echo "arm64: package lists"
apt-get "${apt_opts[@]}" update -q >"$out/apt.log" 2>&1 || { echo "arm64: apt-get update failed (see $out/apt.log)"; exit 1; }
# the packages and everything they depend on (Depends and Pre-Depends only)
deps=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $packages | grep -E '^[a-z0-9]' | sed 's/:arm64$//' | sort -u)
echo "arm64: downloading $(echo "$deps" | wc -w) Debian arm64 packages"
(cd "$out/debs" && apt-get "${apt_opts[@]}" download $deps >>"$out/apt.log" 2>&1) || { echo "arm64: download failed (see $out/apt.log)"; exit 1; }
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/sysroot"; done
# what update-alternatives would link at install time
lib="$out/sysroot/usr/lib/aarch64-linux-gnu"
ln -sf openblas-pthread/libopenblas.so.0 "$lib/libopenblas.so.0"
ln -sf openblas-pthread/libblas.so.3 "$lib/libblas.so.3"
mkdir -p "$out/sysroot/proc"
echo "arm64: npm ci --cpu=arm64 --os=linux"
cp package.json package-lock.json .npmrc "$out/project/"
(cd "$out/project" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --cpu=arm64 --os=linux --no-fund --no-audit >"$out/npm.log" 2>&1) \
  || { echo "arm64: npm ci failed (see $out/npm.log)"; exit 1; }
echo "$want" >"$out/.stamp"
echo "arm64: ready ($(du -sh "$out" | cut -f1))"
