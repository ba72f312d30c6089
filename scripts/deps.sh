#!/usr/bin/env bash
# Install every Debian package the build, the tests and the demo need.
# Idempotent and quiet when everything is already there.
set -euo pipefail

pkgs=(
  # build
  build-essential cmake pkg-config
  libssl-dev libc-ares-dev libnghttp2-dev zlib1g-dev libbrotli-dev libzstd-dev
  libpsl-dev libidn2-dev libuv1-dev libevent-dev
  # tests
  libcmocka-dev valgrind clang libclang-rt-14-dev
  nginx-light nghttp2-server gunicorn python3-httpbin python3-brotli openssl
  # benchmarks and peers
  libcurl4-openssl-dev wrk nghttp2-client curl
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/httpx-deps.log 2>&1; then
  $SUDO apt-get update -q >>/tmp/httpx-deps.log 2>&1
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/httpx-deps.log 2>&1 \
    || { tail -30 /tmp/httpx-deps.log; exit 1; }
fi
# nginx's package starts a system-wide server on port 80; the suite runs its own.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; fi
$SUDO pkill -x nginx >/dev/null 2>&1 || true
exit 0
