#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 600) and prints one line per
# target: runs, seconds, and whether libFuzzer found a crash (its input is kept under
# fuzz/artifacts/<target>/). `scripts/fuzz.sh 600 wsq_decode` runs one target.
#
# cargo-fuzz needs nightly-only flags (-Zsanitizer=address). This machine has only the stable
# toolchain, so the build runs stable rustc with RUSTC_BOOTSTRAP=1, which unlocks those flags;
# with a nightly toolchain installed, `cargo +nightly fuzz run ...` works the same.
# Install cargo-fuzz once: `cargo install cargo-fuzz --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
status=0
for t in "${targets[@]}"; do
    log="$(mktemp)"
    if cargo fuzz run -O "$t" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
        verdict="no crash"
    else
        verdict="CRASH (see fuzz/artifacts/$t/)"
        status=1
    fi
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    echo "$t: $runs runs in ${secs} s, $verdict"
    if [ "$status" -ne 0 ]; then tail -30 "$log"; fi
    rm -f "$log"
done
exit "$status"
