#!/bin/bash
# Issue 11 on the GPU machine, in one call (device tool: carry .gpukit, run `bash tools/gpu/acceptance.sh`):
# the program probe (decode plain and fused), the Hugging Face baseline and `ttt bench` in the same
# call, the fixture parity and a profile. Steps can be named: probe hf bench parity profile
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
      timeout 90 python3 tools/gpu/program_probe.py --optimize | tail -1
      # Decoding with TorchScript's fusing executor only where the probe measured it faster.
      FUSE=$(python3 -c "import json,os;o=os.environ['OUT'];a=json.load(open(o+'/program_probe_3b.json'));b=json.load(open(o+'/program_probe_3b_opt.json'));print('true' if b['decode_ms_per_token']<0.95*a['decode_ms_per_token'] else 'false')" 2>/dev/null || echo false)
      echo "fused decoding: $FUSE" ;;
    profile) timeout 100 python3 tools/gpu/program_probe.py --profile | grep -v '^-' | head -75 ;;
    hf)      timeout 200 python3 .gpukit/reference/bench_hf.py 3b ;;
    bench)   timeout ${BENCH_TIMEOUT:-300} $JAVA -Dai.djl.offline=true -Dttt.fuseDecoding=$FUSE -cp $CP ai.ttt.cli.TttCommand \
               bench --device gpu --preset 3b --window 8192 \
               --contexts ${CONTEXTS:-8192,32768,131072} --modes ${MODES:-ttt-e2e,swa,full} --no-ops \
               --warmup 1 --repeats ${REPEATS:-2} --decode-tokens 16 --output "$OUT/bench" | tail -22 ;;
    parity)  timeout 150 python3 tools/gpu/fixture_parity.py | tail -20 ;;
  esac
done
echo "== done $(date +%T)"
