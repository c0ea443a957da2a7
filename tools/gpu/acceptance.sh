#!/bin/bash
# Issue 11 on the GPU machine, in one call (device tool: carry .gpukit, run `bash tools/gpu/acceptance.sh`):
# the program probe (decode plain and fused), the Hugging Face baseline and `ttt bench` in the same
# call, the fixture parity and a profile. Steps can be named: probe hf bench parity profile ratio
set -o pipefail
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
. .gpukit/on-device.sh || exit 1
export PYTHONUNBUFFERED=1
FUSE=${FUSE:-false}
steps=${*:-probe hf bench parity profile}
for step in $steps; do
  echo "== $step $(date +%T)"
  case $step in
    probe)
      timeout 90 python3 tools/gpu/program_probe.py | tail -1
      # TorchScript's fusing executor for decoding, for comparison only: the probe measured it faster
      # (10.1 against 11.9 ms), but `ttt bench` decoded slower with it (18.9 against 13.8 ms). FUSED_PROBE=1.
      [ -n "$FUSED_PROBE" ] && timeout 90 python3 tools/gpu/program_probe.py --optimize | tail -1 ;;
    profile) timeout 100 python3 tools/gpu/program_probe.py --profile | grep -v "^-" | head -${PROFILE_LINES:-75} ;;
    hf)      timeout 200 python3 .gpukit/reference/bench_hf.py 3b ;;
    bench)   timeout ${BENCH_TIMEOUT:-300} $JAVA -Dai.djl.offline=true -Dttt.fuseDecoding=$FUSE -cp $CP ai.ttt.cli.TttCommand \
               bench --device gpu --preset 3b --window 8192 \
               --contexts ${CONTEXTS:-8192,32768,131072} --modes ${MODES:-ttt-e2e,swa,full} --no-ops \
               --warmup 1 --repeats ${REPEATS:-2} --decode-tokens ${DECODE_TOKENS:-64} --output "$OUT/bench" | tail -22 ;;
    parity)  timeout 150 python3 tools/gpu/fixture_parity.py | tail -20 ;;
    # 128K / 8K inside the probe, with attention as it is, dense cuDNN over the window, and none
    ratio)   timeout 300 python3 tools/gpu/program_probe.py --ratio | tail -5 ;;
  esac
done
echo "== done $(date +%T)"
