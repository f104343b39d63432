#!/usr/bin/env bash
# Checks a GPU install for the WebGPU route: prints the adapter Dawn finds, runs the webgpu/wasm
# parity tests and the Uni-CTR step benchmark on webgpu, and writes everything to one JSON file.
# Run from the repository root after `npm ci`:  benchmarks/gpu-check.sh [OUT.json]
# (default benchmarks/results/gpu-check.json). Needs the GPU's Vulkan driver (NVIDIA: the
# proprietary driver's Vulkan ICD, e.g. Debian's nvidia-vulkan-icd; AMD/Intel: mesa-vulkan-drivers)
# and the libvulkan1 loader. Exit status: 0 all passed, 1 a check failed, 2 no hardware adapter.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results/gpu-check.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

adapter=$(node src/runtime/adapter_probe.mjs 2>"$tmp/probe.err")
if [ -z "$adapter" ] || [ "$adapter" = null ]; then
  echo "error: no WebGPU adapter: $(tail -n 3 "$tmp/probe.err" | tr '\n' ' ')" >&2
  echo "hint: install the GPU's Vulkan driver and libvulkan1 (README#gpu); 'vulkaninfo --summary' (vulkan-tools) lists what Vulkan sees" >&2
  exit 2
fi
echo "adapter: $adapter"
software=$(node -e 'const a=JSON.parse(process.argv[1]).info;const s=a.isFallbackAdapter===true||a.architecture==="software"||/llvmpipe|lavapipe|softpipe|swiftshader/i.test(`${a.device} ${a.description}`);console.log(s)' "$adapter")
[ "$software" = true ] && echo "note: this is a software adapter (runs on the CPU): the numbers below say nothing about GPU speed"

# CI=1: the parity tests fail instead of skipping if the adapter disappears between steps.
CI=1 npm test -- test/runtime/webgpu_parity.test.ts >"$tmp/parity.log" 2>&1
parity_rc=$?
grep -E '^(not )?ok|worst' "$tmp/parity.log" | sed 's/^# \\# /  /'
echo "parity tests: $([ $parity_rc = 0 ] && echo passed || echo FAILED, see output above)"

bench_rc=0
for b in "${BENCH_BATCHES:-64}"; do
  npm run -s bench:unictr -- --backend webgpu --batch "$b" --seq "${BENCH_SEQ:-32}" --reps "${BENCH_REPS:-5}" --json "$tmp/bench.json" 2>&1 | grep -v '^Warning' || bench_rc=1
done
[ -f "$tmp/bench.json" ] || bench_rc=1

mkdir -p "$(dirname "$out")"
node -e '
const fs = require("fs");
const [adapter, software, parityRc, logFile, benchFile, out] = process.argv.slice(1);
const worst = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes("worst")).map((l) => l.replace(/^#\s*\\?#\s*/, ""));
const bench = fs.existsSync(benchFile) ? JSON.parse(fs.readFileSync(benchFile, "utf8")) : null;
const r = { date: new Date().toISOString(), node: process.version, adapter: JSON.parse(adapter).info, software: software === "true",
  parity: { passed: parityRc === "0", worst_differences: worst }, unictr_step: bench };
fs.writeFileSync(out + ".tmp", JSON.stringify(r, null, 2) + "\n");
fs.renameSync(out + ".tmp", out);
' "$adapter" "$software" "$parity_rc" "$tmp/parity.log" "$tmp/bench.json" "$out"
echo "wrote $out"
[ $parity_rc = 0 ] && [ $bench_rc = 0 ] && exit 0 || exit 1
