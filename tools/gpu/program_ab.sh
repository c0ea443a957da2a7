# A/B of program sources in the probe, alternated on one host: bash tools/gpu/program_ab.sh A.torchscript B.torchscript [rounds]
# (e.g. A from `git show REV:ttt-block/src/main/resources/ai/ttt/block/programs/TttProgram.torchscript`)
. .gpukit/on-device.sh >/dev/null 2>&1
for r in $(seq ${3:-3}); do
  for p in "$1" "$2"; do
    echo -n "$(basename $p) "
    PROGRAM=$p timeout 120 python3 tools/gpu/program_probe.py | tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(' '.join('%s=%.2f' % (k, d[k]) for k in ['prefill_ms_per_minibatch','decode_ms_per_token','decode_method_ms_per_token','close_step_ms']))"
  done
done
