#!/usr/bin/env bash
# make bench: for now the one comparison issue 2 asks for (client CPU per keep-alive
# GET, libhttpx next to libcurl, same run, same nginx). The full side-by-side suite
# is issue 6.
set -euo pipefail
exec "$(dirname "$0")/cpu_per_request.sh" "${1:-build}"
