# ttt train --device gpu on the GPU machine (device tool: carry .gpukit, run `bash tools/gpu/train_gpu.sh`):
# the default model's architecture on a fixed text (the KJV's Revelation), 6 steps with the training program
# (the default) and 6 with the plain engine; the losses come back as loss-program.csv and loss-plain.csv
# to compare with each other and with the same commands on the CPU. ENGINES picks the runs (default
# "program plain"; "program-recompute" and "plain-recompute" add --recompute). BENCH=1 adds a short
# ttt-e2e decode bench at 8K.
set -o pipefail
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
. .gpukit/on-device.sh || exit 1
Z=ttt-zoo/src/main/resources/ai/ttt/zoo/models/kjv-5m
A="train --device gpu --data integration-tests/src/test/resources/kjv/revelation.txt --config $Z/config.json --tokenizer $Z/tokenizer.json --steps ${STEPS:-6} --batch-size 4 --seq-len 2048"
for e in ${ENGINES:-program plain}; do
  flags="--execution ${e%-recompute}"; [ "$e" != "${e%-recompute}" ] && flags="$flags --recompute"
  echo "== train, $e $(date +%T)"; $TTT $A $flags --output /tmp/train-$e 2>&1 | tail -3
  cp /tmp/train-$e/loss.csv $OUT/loss-$e.csv; cat /tmp/train-$e/loss.csv
done
[ -n "$BENCH" ] && { echo "== decode bench $(date +%T)"; timeout 200 $TTT bench --device gpu --preset 3b --window 8192 --contexts 8192 --modes ttt-e2e --no-ops --warmup 1 --repeats 2 --decode-tokens 64 --output $OUT/bench 2>&1 | tail -4; }
echo "== done $(date +%T)"
