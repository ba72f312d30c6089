#!/usr/bin/env bash
# Run one test binary; under valgrind (memcheck, leaks are errors) when HTTPX_VALGRIND=1.
set -u
if [ "${HTTPX_VALGRIND:-0}" = 1 ]; then
  exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --track-fds=no --suppressions="$(dirname "$0")/valgrind.supp" "$@"
fi
exec "$@"
