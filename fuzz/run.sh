#!/usr/bin/env bash
# fuzz/run.sh — run the libFuzzer targets of a HTTPX_FUZZ build (see `make fuzz`).
#
#   fuzz/run.sh --available [CC]     exit 0 when CC (default clang) can build a
#                                    libFuzzer binary with ASan+UBSan, else 1
#   fuzz/run.sh BUILD SECONDS [NAME...]
#                                    for each target (default: every BUILD/fuzz/*_fuzz):
#     1. replay tests/data/fuzz-regressions/NAME/* (crashes found earlier: each must
#        now pass), then
#     2. fuzz for SECONDS with the seeds fuzz/corpus/NAME, new inputs going to
#        BUILD/corpus-grown/NAME (never into the repository) and crash inputs to
#        BUILD/crashes/NAME/; the HTTP dictionary fuzz/http.dict for the targets
#        that read HTTP bytes.
# FUZZ_JOBS targets run at once (default: the number of CPUs). Logs: BUILD/fuzz-logs/.
# FUZZ_SEED=N fixes libFuzzer's random seed (`make check` does, so that CI replays
# the same mutations from the same corpus rather than a new random walk per run:
# the bugs a longer `make fuzz` finds become regression files, not a red CI).
# Prints one line per target (executions per second, coverage, corpus) and exits 1
# if any target crashed, leaked, timed out or failed a regression input.
# To turn a crash into a regression case:
#   BUILD/fuzz/NAME_fuzz -minimize_crash=1 -runs=100000 -exact_artifact_path=OUT CRASH
#   mkdir -p tests/data/fuzz-regressions/NAME && cp OUT tests/data/fuzz-regressions/NAME/
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${1:-}" = --available ]; then
  cc=${2:-clang}
  command -v "$cc" >/dev/null 2>&1 || exit 1
  tmp=$(mktemp -d) || exit 1
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/t.c"
  "$cc" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1
  rc=$?
  rm -rf "$tmp"
  exit $rc
fi

[ $# -ge 2 ] || { echo "usage: $0 BUILD SECONDS [NAME...] | --available [CC]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
secs=$2
shift 2
jobs=${FUZZ_JOBS:-$(nproc)}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for b in "$build"/fuzz/*_fuzz; do
    [ -x "$b" ] && names+=("$(basename "$b" _fuzz)")
  done
fi
[ ${#names[@]} -gt 0 ] || { echo "fuzz: no targets in $build/fuzz (configure with -DHTTPX_FUZZ=ON)" >&2; exit 2; }

logs=$build/fuzz-logs
mkdir -p "$logs"

# Which targets read HTTP bytes and get the dictionary.
dict_for() {
  case $1 in
    h1 | h2 | proxy | auth | headers) echo "-dict=$ROOT/fuzz/http.dict" ;;
  esac
}

run_one() {
  local name=$1 bin=$build/fuzz/${1}_fuzz log=$logs/$1.log
  local seeds=$ROOT/fuzz/corpus/$name grown=$build/corpus-grown/$name crashes=$build/crashes/$name/
  local reg=$ROOT/tests/data/fuzz-regressions/$name
  mkdir -p "$grown" "$crashes"
  : >"$log"
  if [ ! -x "$bin" ]; then
    echo "missing $bin" >>"$log"
    echo "FAIL" >"$logs/$name.status"
    return
  fi
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
    if ! "$bin" -runs=1 "$reg"/* >>"$log" 2>&1; then
      echo "REGRESSION" >"$logs/$name.status"
      return
    fi
  fi
  local seeddirs=()
  [ -d "$seeds" ] && seeddirs+=("$seeds")
  # -timeout: one input taking longer is a hang; -rss_limit_mb: a blow-up is a bug.
  # shellcheck disable=SC2046
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
    -artifact_prefix="$crashes" $(dict_for "$name") "$grown" "${seeddirs[@]}" >>"$log" 2>&1
  if [ $? -eq 0 ]; then echo "ok" >"$logs/$name.status"; else echo "CRASH" >"$logs/$name.status"; fi
}

echo "fuzz: ${#names[@]} targets x ${secs}s, $jobs at a time (logs: $logs)"
running=0
for name in "${names[@]}"; do
  rm -f "$logs/$name.status"
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
for name in "${names[@]}"; do
  log=$logs/$name.log
  st=$(cat "$logs/$name.status" 2>/dev/null || echo FAIL)
  execs=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
  line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$line")
  printf 'fuzz: %-8s %-10s %8s exec/s  %10s runs  cov %5s  ft %6s  corpus %s\n' \
    "$name" "$st" "${execs:--}" "${runs:--}" "${cov:--}" "${ft:--}" "${corp:--}"
  if [ "$st" != ok ]; then
    failed=1
    grep -E 'ERROR|SUMMARY|_fuzz: |^    #[0-9] ' "$log" | head -20 | sed 's/^/    /'
    ls "$build/crashes/$name/" 2>/dev/null | sed "s|^|    artifact: $build/crashes/$name/|"
  fi
done
exit $failed
