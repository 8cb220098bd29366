#!/usr/bin/env bash
# Installs what the engine's tests and tools need on a fresh Debian machine (run as root):
#  - NVRTC from Debian's non-free component, so every CUDA kernel is compiled on every CI run
#    even without a GPU;
#  - PyTorch (Debian's python3-torch) with OpenBLAS, the independent oracle for fixtures and the
#    CPU side of the side-by-side benchmark (without OpenBLAS it silently uses the reference BLAS);
#  - python3-sentencepiece, to regenerate the tokenizer fixtures;
#  - PostgreSQL, for the shared document store's tests.
# Idempotent: a second run only checks.
set -euo pipefail

need_root() {
  [ "$(id -u)" = 0 ] && return
  if command -v sudo >/dev/null 2>&1; then exec sudo "$0" "$@"; fi
  echo "setup-machine.sh: installing packages needs root (apt-get); run it as root" >&2
  exit 1
}

packages=(libnvrtc11.2 libnvrtc-builtins11.8 python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "setup-machine.sh: all packages present"; exit 0; }
need_root

# NVRTC lives in non-free; add that component once, beside the machine's own sources.
nonfree=/etc/apt/sources.list.d/clara-non-free.sources
if ! grep -rqs "non-free" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > "$nonfree" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-machine.sh: installed ${missing[*]}"
