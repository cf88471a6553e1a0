#!/usr/bin/env bash
# Runs a command on a busy machine: four CPU hogs and one fsync-heavy writer beside it, as on a shared CI
# runner. The suite must pass like this too (races and wall-clock budgets show here, not on a quiet machine).
#   scripts/busy-machine.sh npm test
#   HOGS=8 scripts/busy-machine.sh npx vitest run test/integration/shutdown.test.ts
set -uo pipefail
hogs=${HOGS:-4}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/scriptorium-busy-XXXXXX")
pids=()
stop_load() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  pkill -f "of=$scratch/f" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$scratch"
}
trap stop_load EXIT INT TERM
for _ in $(seq "$hogs"); do
  node -e 'for(;;){}' &
  pids+=($!)
done
# Small synchronous writes keep the disk's flush queue busy (every fsync of the daemon waits behind them).
( while :; do dd if=/dev/zero of="$scratch/f" bs=4k count=100000 oflag=dsync status=none; done ) &
pids+=($!)
"$@"
