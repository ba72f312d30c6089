#!/usr/bin/env bash
# Style checks CI runs: banned libc calls in the library, and every public header
# compiling on its own (C and C++).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
cc=${CC:-cc}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in $(find src -name '*.c'); do
  if grep -nE '\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|gmtime|localtime)\s*\(' "$f" \
       | grep -v 'snprintf\|vsnprintf' ; then
    echo "style: banned call in $f (see src/core/banned.h)"; fail=1
  fi
  [ "$f" = src/core/mem.c ] && continue
  direct=$(grep -nE '(^|[^_.>a-z])(malloc|calloc|realloc|free)\s*\(' "$f" || true)
  if [ -n "$direct" ]; then
    echo "style: direct allocation in $f (use core/mem.h):"; echo "$direct" | head -3; fail=1
  fi
done
for h in include/httpx.h include/httpx/*.h; do
  case "$h" in include/httpx/uv.h|include/httpx/event.h) continue;; esac
  echo "#include \"${h#include/}\"" > "$tmp/t.c"
  $cc -std=c11 -Wall -Wextra -Werror -Iinclude -fsyntax-only "$tmp/t.c" || { echo "style: $h does not compile alone"; fail=1; }
  cp "$tmp/t.c" "$tmp/t.cc"
  g++ -std=c++17 -Wall -Iinclude -fsyntax-only "$tmp/t.cc" || { echo "style: $h fails as C++"; fail=1; }
done
exit $fail
