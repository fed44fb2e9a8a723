#!/usr/bin/env bash
# The time per iteration of the paper's WaveGAN (signals-wavegan: 16,384 samples, DIM 64, batch 64,
# 5 critic steps) on this machine, wgangp's step against the plain textbook loop of
# benchmarks/plain_loop.py in the same process (benchmarks/run.py), on class-labelled WAV clips made
# by experiments/audio_classes.py. Each generator iteration takes seconds on a CPU, so few are timed.
#   bash benchmarks/wavegan_cpu.sh [ITERS] [ROUNDS]     (run it alone: nothing else computing)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ITERS=${1:-2}
ROUNDS=${2:-2}
CLIPS=$(mktemp -d)/clips
trap 'rm -rf "$(dirname "$CLIPS")"' EXIT
$PY experiments/audio_classes.py --make-clips "$CLIPS" --per-class 32 --length 16384 > /dev/null
lscpu | grep -E "Model name|^CPU\(s\)" | sed 's/  */ /g'
$PY benchmarks/run.py --preset signals-wavegan --device cpu --iters "$ITERS" --warmup 1 --rounds "$ROUNDS" \
    --set data.path="$CLIPS" --set model.conditional=true
