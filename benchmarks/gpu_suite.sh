#!/usr/bin/env bash
# Issue #4's GPU measurements in one go, for a session that is lent a GPU for a few minutes.
#
#   benchmarks/gpu_suite.sh OUT_DIR CIFAR10_ARCHIVE            # e.g. data/cifar10-jpeg.tar.gz
#
# Runs the gpu-marked tests, then benchmarks/run.py (wgangp against the plain loop, same process)
# for every speed setting the issue names, on cifar10-resnet and the 25-Gaussians toy
# set: one log per setting in OUT_DIR and a summary of the RESULT lines in OUT_DIR/results.txt.
# Environment: DEVICE (cuda), ITERS (50 per round), ROUNDS (3), WARMUP (10), PRESETS (the two
# below), VARIANTS (all below). With INCEPTION=path/to/inception-fid-pool3.torchscript.pt it then
# runs the quality check: benchmarks/quality.py on cifar10-resnet for seeds 0 and 1, QUALITY_ITERS
# (2000) iterations, FID of QUALITY_SAMPLES (5000) samples, wgangp (fp32 with TF32, then bf16)
# against the plain loop from the same weights (PRESETS= INCEPTION=... runs only the gpu tests
# and this, as one call may not hold both). A CPU dry run of the script itself:
#   DEVICE=cpu ITERS=1 ROUNDS=1 WARMUP=1 PRESETS=toy-25gaussians VARIANTS="tf32 bf16" benchmarks/gpu_suite.sh /tmp/s x
set -u
out=${1:?usage: gpu_suite.sh OUT_DIR CIFAR10_ARCHIVE}
cifar=${2:?usage: gpu_suite.sh OUT_DIR CIFAR10_ARCHIVE}
device=${DEVICE:-cuda}
iters=${ITERS:-50}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-10}
presets=${PRESETS-"cifar10-resnet toy-25gaussians"}    # PRESETS= (empty): no speed benchmarks
variants=${VARIANTS:-"fp32 tf32 tf32-graphs bf16 bf16-graphs bf16-graphs-nhwc compile"}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
: > "$out/results.txt"

if [ "$device" = cuda ]; then
    python -m pytest -m gpu -q "$here/../tests" > "$out/gpu-tests.log" 2>&1
    echo "gpu tests: $(tail -n 1 "$out/gpu-tests.log")" | tee -a "$out/results.txt"
fi

settings() {   # the --set flags of one variant
    case $1 in
        fp32) echo "--set train.tf32=false" ;;
        tf32) echo "" ;;
        tf32-graphs) echo "--set train.cuda_graphs=true" ;;
        bf16) echo "--set train.precision=bf16" ;;
        bf16-graphs) echo "--set train.precision=bf16 --set train.cuda_graphs=true" ;;
        bf16-graphs-nhwc) echo "--set train.precision=bf16 --set train.cuda_graphs=true --set train.channels_last=true" ;;
        compile) echo "--set train.compile=reduce-overhead" ;;
        *) echo "unknown variant $1" >&2; return 1 ;;
    esac
}

for preset in $presets; do
    data=""
    case $preset in cifar10*) data="--set data.path=$cifar" ;; esac
    for variant in $variants; do
        flags=$(settings "$variant") || exit 2
        log="$out/$preset-$variant.log"
        # shellcheck disable=SC2086
        python "$here/run.py" --preset "$preset" --device "$device" --iters "$iters" --rounds "$rounds" \
            --warmup "$warmup" $data $flags > "$log" 2>&1
        line=$(grep '^RESULT' "$log" || echo "FAILED (see $log): $(tail -n 1 "$log")")
        echo "$preset $variant: $line" | tee -a "$out/results.txt"
    done
done

if [ -n "${INCEPTION:-}" ]; then
    for precision in fp32 bf16; do
        log="$out/quality-cifar10-resnet-$precision.log"
        python "$here/quality.py" --preset cifar10-resnet --device "$device" --iters "${QUALITY_ITERS:-2000}" \
            --seeds 0 1 --set "data.path=$cifar" --set optim.lr_decay=none --set train.ema=0 \
            --set train.eval_metrics=fid --set "train.feature_net=$INCEPTION" --set "train.eval_samples=${QUALITY_SAMPLES:-5000}" \
            --set "train.precision=$precision" > "$log" 2>&1
        if grep -q '^QUALITY' "$log"; then
            grep '^QUALITY' "$log" | sed "s/^/$precision: /" | tee -a "$out/results.txt"
        else
            echo "quality $precision FAILED (see $log): $(tail -n 1 "$log")" | tee -a "$out/results.txt"
        fi
    done
fi
