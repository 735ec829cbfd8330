#!/usr/bin/env bash
# A few-minute check of training on CUDA: the env stays on the CPU, the model on the GPU.
#   1. images/s of REINFORCE updates on GlimpseMNIST-v0 and GlimpseClutteredMNIST-v0 (benchmarks/train_speed.py);
#   2. a short GlimpseMNIST-v0 run (3 epochs) learns: its test error must fall below 10%;
#   3. DistributedDataParallel over every visible GPU (torchrun, NCCL) trains 2 epochs and writes its run dir.
# With no CUDA device it says so and exits 0.   Usage: bash benchmarks/gpu_check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch" || { echo "gpu_check: torch is not installed: pip install -e '.[agents]'"; exit 1; }
if ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA device here (torch.cuda.is_available() is False): nothing to check"
    exit 0
fi
out=${1:-$(mktemp -d)}
mkdir -p "$out"
python -c "import torch; print('torch', torch.__version__, '|', torch.cuda.device_count(), 'x', torch.cuda.get_device_name(0))"

echo "== 1. throughput"
python benchmarks/train_speed.py --device cuda --updates 30 --rounds 2
python benchmarks/train_speed.py --device cuda --env GlimpseClutteredMNIST-v0 --updates 30 --rounds 2

echo "== 2. a short run learns"
python train_agent.py --device cuda --epochs 3 --run-dir "$out/short" --no-progress-bar --pictures 0
python - "$out/short/test.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"test error after 3 epochs: {report['error_percent']}% in {report['train_seconds']:.0f} s")
sys.exit(0 if report["error"] < 0.10 else "gpu_check: the short run did not learn (test error >= 10%)")
PY

echo "== 3. DDP over the visible GPUs"
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
torchrun --standalone --nproc_per_node "$gpus" train_agent.py --device cuda --epochs 2 --batch-size 512 \
    --run-dir "$out/ddp" --no-progress-bar --pictures 0
python - "$out/ddp" "$gpus" <<'PY'
import json, sys
run, gpus = sys.argv[1], int(sys.argv[2])
config, report = json.load(open(f"{run}/config.json")), json.load(open(f"{run}/test.json"))
assert config["world_size"] == gpus, config["world_size"]
print(f"DDP over {gpus} GPU(s): test error {report['error_percent']}% after 2 epochs in {report['train_seconds']:.0f} s")
PY
echo "gpu_check: all checks passed (run dirs in $out)"
