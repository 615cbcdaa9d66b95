#!/usr/bin/env bash
# edgelab set-up for Debian bookworm / Raspberry Pi OS (amd64, arm64). Idempotent.
#   npm run setup            system packages + npm ci + build + Jupyter kernel
#   npm run setup -- --peers also the Python peers used only by benchmarks and fixture export
# Works as root or through sudo; says what it could not install and which features that disables.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

peers=0
for arg in "$@"; do
  case "$arg" in
    --peers) peers=1 ;;
    *) echo "setup: unknown option $arg (use --peers)"; exit 2 ;;
  esac
done
[ "${EDGELAB_PEERS:-0}" = "1" ] && peers=1

# package → feature it enables (shown when the package cannot be installed)
declare -A feature=(
  [jupyter-notebook]="executing notebooks (npm start, notebook tests)"
  [python3-nbconvert]="executing notebooks (npm start, notebook tests)"
  [python3-nbclient]="executing notebooks (npm start, notebook tests)"
  [python3-ipykernel]="executing notebooks (npm start, notebook tests)"
  [mpich]="MPI distributed training (mpiexec)"
  [libmpich-dev]="MPI distributed training (libmpich.so)"
  [libopenblas0-pthread]="native BLAS kernels (fast CPU training)"
  [libxgboost0]="the XGBoost baseline"
  [libdnnl2]="oneDNN convolutions (fast CNN training; im2col + OpenBLAS instead)"
  [libopenblas0-openmp]="OpenBLAS on oneDNN's OpenMP threads (pthread OpenBLAS beside oneDNN is 2-4x slower)"
  [dataset-fashion-mnist]="real Fashion-MNIST offline (synthetic stand-in used instead)"
  [chromium]="PNG export of figures (HTML still written)"
  [fonts-liberation]="readable text in PNG figures"
  [python3-torch]="PyTorch peer in benchmarks"
  [python3-torchvision]="PyTorch peer in benchmarks"
  [python3-pandas]="pandas peer in the ingest benchmark"
  [python3-sklearn]="scikit-learn metric parity checks"
  [python3-xgboost]="python-xgboost parity checks"
  [python3-onnx]="adding metadata when exporting ONNX fixtures from PyTorch (colab/)"
  [python3-grpcio]="running Flower 1.4 from source against edgelab (interoperability tests)"
  [python3-protobuf]="running Flower 1.4 from source against edgelab (interoperability tests)"
  [openssl]="the TLS test of the federated server (a self-signed certificate)"
  [qemu-user-static]="the arm64 (Raspberry Pi OS) smoke test on an x86 machine"
)
packages=(jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel mpich libmpich-dev
  libopenblas0-pthread libxgboost0 libdnnl2 dataset-fashion-mnist chromium fonts-liberation openssl)
[ "$peers" = 1 ] && packages+=(python3-torch python3-torchvision python3-pandas python3-sklearn python3-xgboost python3-onnx python3-grpcio python3-protobuf)

# What `npm test` needs (its absence fails or skips core tests); the rest is optional.
# EDGELAB_SETUP_REQUIRE adds packages a site insists on (e.g. "chromium" for PNG figures).
required=" jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel mpich libmpich-dev libopenblas0-pthread libxgboost0 ${EDGELAB_SETUP_REQUIRE:-} "
# On x86 the tests also run edgelab as arm64 under qemu (Raspberry Pi OS checked for real).
x86=0
[ "$(uname -m)" = x86_64 ] && x86=1
# oneDNN is required where Debian ships it for CI's machines (amd64); elsewhere it is a speed-up.
if [ "$x86" = 1 ]; then packages+=(qemu-user-static libopenblas0-openmp); required+="qemu-user-static libdnnl2 libopenblas0-openmp "; fi
for p in ${EDGELAB_SETUP_REQUIRE:-}; do
  case " ${packages[*]} " in *" $p "*) ;; *) packages+=("$p"); feature[$p]="required by EDGELAB_SETUP_REQUIRE" ;; esac
done
missing_features=()
missing_required=()
miss() { # package
  missing_features+=("$1 → ${feature[$1]}")
  case "$required" in *" $1 "*) missing_required+=("$1") ;; esac
}
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
  need=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -eq 0 ]; then
    echo "setup: system packages already installed"
  elif [ "$sudo" = none ]; then
    echo "setup: not root and no sudo: cannot install ${need[*]}"
    for p in "${need[@]}"; do miss "$p"; done
  else
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null || echo "setup: apt-get update failed; trying with the existing package lists"
    if ! $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/edgelab-apt.log 2>&1; then
      # Install one by one so one unavailable package does not block the rest.
      for p in "${need[@]}"; do
        $sudo apt-get install -y -q --no-install-recommends "$p" >>/tmp/edgelab-apt.log 2>&1 || miss "$p"
      done
    fi
  fi
else
  echo "setup: no apt-get (not Debian / Pi OS): install Jupyter, MPICH, OpenBLAS, libxgboost and Chromium with your package manager"
  for p in "${packages[@]}"; do missing_features+=("$p → ${feature[$p]}"); done
fi

# npm: onnxruntime-node's install script (npm <= 10 runs it) would download CUDA binaries; the CPU
# binaries ship in the package, so it is skipped. npm ci only when the lockfile changed.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.edgelab-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: node_modules up to date"
else
  npm ci --no-fund --no-audit || { echo "setup: npm ci failed"; exit 1; }
  echo "$want" > "$stamp"
fi
npm run build --silent || { echo "setup: build failed"; exit 1; }

# The arm64 userland and arm64 install the smoke test runs under qemu (x86 only; no root needed).
if [ "$x86" = 1 ] && command -v apt-get >/dev/null 2>&1; then
  bash scripts/arm64-sysroot.sh || { missing_features+=("arm64 sysroot → the arm64 smoke test"); missing_required+=("arm64 sysroot (scripts/arm64-sysroot.sh)"); }
fi

# The tslab kernel, registered with Debian's Python (or $EDGELAB_PYTHON), pointing at this checkout.
py="${EDGELAB_PYTHON:-/usr/bin/python3}"
[ -x "$py" ] || py=python3
if "$py" -c "import jupyter_client" >/dev/null 2>&1; then
  "$root/node_modules/.bin/tslab" install --python="$py" --binary="$root/node_modules/.bin/tslab" --user >/dev/null \
    && echo "setup: tslab kernel registered ($py)" || { missing_features+=("tslab kernel → executing notebooks"); missing_required+=("tslab kernel"); }
else
  missing_features+=("jupyter_client for $py → executing notebooks")
  missing_required+=("jupyter_client for $py")
fi

if [ ${#missing_features[@]} -gt 0 ]; then
  echo "setup: finished with features disabled:"
  printf '  - %s\n' "${missing_features[@]}"
else
  echo "setup: done. Try: npx edgelab info   then   npm start"
fi
if [ ${#missing_required[@]} -gt 0 ]; then
  echo "setup: FAILED: required packages could not be installed: ${missing_required[*]} (see /tmp/edgelab-apt.log)" >&2
  exit 1
fi
exit 0
