#!/usr/bin/env bash
# Run a tiny 2-process torchrun job N times and count the runs that fail (exit status != 0), e.g.
# the rank that aborted at exit ("terminate called without an active exception") before every rank
# left the process group together.
#   experiments/torchrun_repeat.sh 16                 # this checkout
#   SRC=/tmp/old/src experiments/torchrun_repeat.sh 8  # another checkout's src/ (git archive REV src)
set -u
n=${1:-10}
py=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
tmp=$(mktemp -d)
fails=0
for i in $(seq 1 "$n"); do
  PYTHONPATH=${SRC:-} OMP_NUM_THREADS=1 "$py" -m torch.distributed.run --standalone --nproc_per_node=2 -m wgangp train \
    --out "$tmp/r$i" --quiet toy-8gaussians --set model.hidden=16 --set data.batch_size=8 --set device=cpu \
    --set train.log_every=1 --set train.ckpt_every=2 --set train.eval_samples=100 --set train.iterations=4 \
    > "$tmp/r$i.out" 2> "$tmp/r$i.err" || { fails=$((fails + 1)); grep -m1 "terminate called" "$tmp/r$i.err"; }
done
echo "${SRC:-this checkout}: $fails of $n torchrun runs failed"
rm -rf "$tmp"
