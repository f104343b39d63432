#!/usr/bin/env bash
# Trains every baseline config on the shipped real data (same processed dataset and split as the
# quickstart) into runs/baselines/<model>/, then prints the comparison table.
#   bash scripts/run-baselines.sh [model ...]      (default: all of experiments/baselines/*.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  for f in experiments/baselines/*.yaml; do
    m=$(basename "$f" .yaml); [ "$m" = base ] || models+=("$m")
  done
fi
for m in "${models[@]}"; do
  start=$(date +%s)
  node bin/unictr.js train --config "experiments/baselines/$m.yaml" --out "runs/baselines/$m" --overwrite --quiet
  echo "$m: $(( $(date +%s) - start )) s" | tee -a runs/baselines/times.txt
done
node bin/unictr.js compare --ref runs/baselines/dnn runs/quickstart runs/baselines/*/
