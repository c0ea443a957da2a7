# ttt train --device gpu on the GPU machine (device tool: carry .gpukit, run `bash tools/gpu/train_gpu.sh`):
# the default model's architecture on the engine's program source as text, 4 steps, then a resume with --recompute;
# the losses come back as loss-gpu.csv to compare with the same command on the CPU. BENCH=1 adds a short
# ttt-e2e decode bench at 8K.
set -o pipefail
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
. .gpukit/on-device.sh || exit 1
Z=ttt-zoo/src/main/resources/ai/ttt/zoo/models/kjv-5m
A="train --device gpu --data ttt-block/src/main/resources/ai/ttt/block/programs/TttProgram.torchscript --config $Z/config.json --tokenizer $Z/tokenizer.json --output /tmp/train-gpu --steps 6 --batch-size 4 --seq-len 2048"
echo "== train 4 steps $(date +%T)"; $TTT $A --stop-after 4 2>&1 | tail -4
echo "== resume with --recompute $(date +%T)"; $TTT $A --recompute 2>&1 | tail -4
cp /tmp/train-gpu/loss.csv $OUT/loss-gpu.csv; cat /tmp/train-gpu/loss.csv; ls /tmp/train-gpu /tmp/train-gpu/model
echo "== evaluate $(date +%T)"; $TTT evaluate --device gpu --models $Z,/tmp/train-gpu/model --labels kjv-5m,trained --text README.md --output $OUT/eval 2>&1 | tail -5
[ -n "$BENCH" ] && { echo "== decode bench $(date +%T)"; timeout 200 $TTT bench --device gpu --preset 3b --window 8192 --contexts 8192 --modes ttt-e2e --no-ops --warmup 1 --repeats 2 --decode-tokens 64 --output $OUT/bench 2>&1 | tail -4; }
echo "== done $(date +%T)"
