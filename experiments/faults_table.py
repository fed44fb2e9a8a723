"""The fault cases of issue #13 run against one or more source trees, as a Markdown table of what each
did: the exit code, the last line on stderr, and a check of what was left on disk.

    python experiments/faults_table.py --tree before=/tmp/wgangp-before/src --tree after=src \
        [--only NAME ...] [--out benchmarks/results/faults-table.md]

Each case is a bash snippet run in a fresh temporary folder with ``$W`` = ``python -m wgangp`` on the
given tree (``PYTHONPATH``), ``device=cpu`` and one thread; its last command is the one reported.
``check`` (optional) prints what matters afterwards (did the checkpoint survive, what does the config
say). The snippets only use the command line, so they run on old versions as well. The
out-of-memory cases run under ``ulimit -v`` so that an allocation fails (as on a machine without
overcommit) instead of waking the kernel's OOM killer, which may pick another process.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TINY = ("--quiet --set device=cpu --set model.hidden=16 --set data.batch_size=32 --set train.log_every=1 "
        "--set train.eval_samples=64")
RUN = f"$W train toy-8gaussians --out r {TINY} --set train.iterations=20 --set train.ckpt_every=10 >/dev/null 2>&1"
PY = "$PYTHON -c"

CASES = [
    ("1 divergence (optim.lr=1e6)",
     f"$W train toy-8gaussians-fast --out r {TINY} --set train.iterations=40 --set train.ckpt_every=10 --set optim.lr=1e6",
     f"{PY} \"import torch,os;p='r/checkpoint.pt';print('ckpt finite' if os.path.exists(p) and all(torch.isfinite(v).all() for v in torch.load(p,weights_only=True)['generator'].values()) else ('ckpt NaN' if os.path.exists(p) else 'no ckpt'))\"; test -f r/eval.json && grep -o '\"w1\": [0-9.e-]*' r/eval.json || echo 'no eval.json'"),
    ("1 loss.gp_weight=nan", "$W train toy-8gaussians --out r --dry-run --set loss.gp_weight=nan", None),
    ("1 table CSV with nan/inf cells",
     "printf 'a,b,y\\n1,2,x\\nnan,3,y\\n4,inf,x\\n' > t.csv; for i in $(seq 40); do echo \"$i,$((i*2)),$((i%2))\" >> t.csv; done; "
     "$W train table-breast-cancer --out r --quiet --set device=cpu --set data.name=table --set data.path=t.csv "
     "--set data.label=y --set train.iterations=4 --set data.batch_size=8", None),
    ("2 failed --resume rewrites config.json",
     f"{RUN}; echo garbage > r/checkpoint.pt; $W train --out r --resume --quiet --set train.iterations=30",
     "grep -o '\"iterations\": [0-9]*' r/config.json"),
    ("3 --resume without checkpoint.pt",
     f"{RUN}; rm r/checkpoint.pt; $W train --out r --resume --quiet --set train.iterations=30",
     "grep -c '\"train\"' r/metrics.jsonl | sed 's/^/metrics rows: /'"),
    ("3 train into a folder with results, no config",
     f"{RUN}; rm r/config.json r/checkpoint.pt; cp r/eval.json eval.before; $W train toy-8gaussians --out r {TINY} --set train.iterations=2",
     "cmp -s r/eval.json eval.before && echo 'eval.json kept' || echo 'eval.json overwritten'"),
    ("3 sample -o onto an existing file",
     f"{RUN}; echo keep > s.npy; $W sample r -n 10 -o s.npy", "grep -q keep s.npy && echo 'file kept' || echo 'file overwritten'"),
    ("4 full disk while checkpointing (400k tmpfs, root)",
     "mkdir full && mount -t tmpfs -o size=400k tmpfs full || exit 99; "
     f"$W train toy-8gaussians --out full/r {TINY} --set model.hidden=256 --set train.iterations=2 --set train.ckpt_every=2; "
     "rc=$?; ls -a full/r | grep -c tmp | sed 's/^/tmp files: /' > left.txt; umount full; exit $rc",
     "cat left.txt"),
    ("5 null value in a JSON config",
     "echo '{\"train\":{\"iterations\":null}}' > n.json; $W train n.json --out r --dry-run", None),
    ("5 top level not a table", "echo '[1,2]' > n.json; $W train n.json --out r --dry-run", None),
    ("6 checkpoint with step=\"abc\"",
     f"{RUN}; {PY} \"import torch;s=torch.load('r/checkpoint.pt',weights_only=True);s['step']='abc';torch.save(s,'r/checkpoint.pt')\"; "
     "$W train --out r --resume --quiet --set train.iterations=30", None),
    ("6 checkpoint missing its critic",
     f"{RUN}; {PY} \"import torch;s=torch.load('r/checkpoint.pt',weights_only=True);del s['critic'];torch.save(s,'r/checkpoint.pt')\"; "
     "$W train --out r --resume --quiet --set train.iterations=30", None),
    ("8 train.gen_batch_size=4e8 (out of memory; 16 GB address-space limit)",
     f"ulimit -v 16000000; $W train toy-8gaussians --out r {TINY} --set train.gen_batch_size=400000000 --set train.iterations=2", None),
    ("8 MNIST data.batch_size=60000 (16 GB address-space limit; needs ../shared/data/mnist.npz)",
     "test -f \"$SHARED/mnist.npz\" || exit 99; ulimit -v 16000000; $W train mnist-dcgan --out r --quiet --set device=cpu "
     "--set data.path=\"$SHARED/mnist.npz\" --set data.batch_size=60000 --set train.iterations=2", None),
    ("8 train.eval_samples=2e12 (16 GB address-space limit)", f"ulimit -v 16000000; $W train toy-8gaussians --out r {TINY} --set train.eval_samples=2000000000000 "
     "--set train.iterations=2", "test -f r/checkpoint.pt && echo 'trained first' || echo 'refused before training'"),
    ("8 sample -n 1e15 (16 GB limit, stopped after 90 s)",
     f"{RUN}; ulimit -v 16000000; timeout 90 $W sample r -n 1000000000000000 -o s.npy", "ls -a | grep -c 's.npy' | sed 's/^/files: /'"),
    ("9 killed checkpoint write's .tmp at resume",
     f"{RUN}; echo x > r/.checkpoint.pt.abc.tmp; $W train --out r --resume --quiet --set train.iterations=30",
     "ls -a r | grep -c '\\.tmp$' | sed 's/^/tmp files: /'"),
    ("10 complex .npy data",
     f"{PY} \"import numpy as np;np.save('c.npy',(np.ones((64,2))+1j).astype(np.complex64))\"; "
     f"$W train toy-8gaussians --out r {TINY} --set data.name=points --set data.path=c.npy --set train.iterations=2", None),
    ("10 edited data.name in config.json",
     f"{RUN}; sed -i 's/\"name\": \"8gaussians\"/\"name\": \"25gaussians\"/' r/config.json; $W eval r", None),
    ("10 eval -n 0", f"{RUN}; $W eval r -n 0", None),
    ("10 labels of one class",
     f"{PY} \"import numpy as np;np.savez('s.npz',x_train=np.random.randn(32,1,32).astype('float32'),y_train=np.zeros(32,'int64'))\"; "
     "$W train signals-sines-cond --out r --quiet --set device=cpu --set data.name=signals --set data.path=s.npz "
     "--set data.batch_size=16 --set train.iterations=2", None),
    ("10 a directory as config path", "mkdir d; $W train d --out r --dry-run", None),
    ("10 a directory as data path",
     f"mkdir d; $W train toy-8gaussians --out r {TINY} --set data.name=points --set data.path=d", None),
    ("10 invalid value in config.json",
     f"{RUN}; sed -i 's/\"batch_size\": 32/\"batch_size\": -4/' r/config.json; $W eval r", None),
    ("11 resume on 2 processes of a 1-process run (stored points)",
     f"{PY} \"import numpy as np;np.save('p.npy',np.random.randn(256,2).astype('float32'))\"; "
     f"$W train toy-8gaussians --out r {TINY} --set data.name=points --set data.path=p.npy --set train.iterations=4 "
     "--set train.ckpt_every=2 >/dev/null 2>&1; "
     "$PYTHON -m torch.distributed.run --standalone --nproc_per_node=2 -m wgangp train --out r --resume --quiet "
     "--set train.iterations=8 2>err.txt >/dev/null; rc=$?; grep -E 'Error|error|note' err.txt | tail -1 >&2; exit $rc", "grep -c '\"train\"' r/metrics.jsonl | sed 's/^/train rows: /'"),
    ("11 resume on 1 process of a 2-process run (stored points)",
     f"{PY} \"import numpy as np;np.save('p.npy',np.random.randn(256,2).astype('float32'))\"; "
     f"$PYTHON -m torch.distributed.run --standalone --nproc_per_node=2 -m wgangp train toy-8gaussians --out r {TINY} "
     "--set data.name=points --set data.path=p.npy --set train.iterations=4 --set train.ckpt_every=2 >/dev/null 2>&1; "
     "$W train --out r --resume --quiet --set train.iterations=8", "grep -c '\"train\"' r/metrics.jsonl | sed 's/^/train rows: /'"),
    ("12 second train on a folder in use",
     f"$W train toy-8gaussians --out r {TINY} --set train.iterations=100000 --set train.ckpt_every=50 2>first.err & "
     "sleep 8; timeout 30 $W train --out r --resume --quiet --set train.iterations=200000; rc=$?; kill %1; wait; "
     "exit $rc", None),
]


def run_case(snippet: str, check: str | None, src: str) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory(prefix="wgangp-fault-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(Path(src).resolve()), "OMP_NUM_THREADS": "1",
               "W": f"{sys.executable} -m wgangp", "PYTHON": sys.executable, "WGANGP_CACHE": str(Path(tmp) / "cache"),
               "SHARED": str(Path(__file__).resolve().parents[2] / "shared" / "data")}
        try:
            p = subprocess.run(["bash", "-c", snippet], cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return -1, "(still running after 600 s: stopped by the table)", ""
        lines = [line for line in p.stderr.strip().splitlines() if line.strip()]
        tb = any(line.startswith("Traceback") for line in lines)
        last = (lines[-1] if lines else "(nothing)").strip()
        msg = ("traceback: " if tb else "") + (last[:157] + "..." if len(last) > 160 else last)
        seen = ""
        if check:
            c = subprocess.run(["bash", "-c", check], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
            seen = " ".join(c.stdout.split())
        return p.returncode, msg.replace("|", "\\|"), seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", required=True, metavar="LABEL=SRC")
    ap.add_argument("--only", nargs="*", default=None, help="case names starting with these")
    ap.add_argument("--out", default=None, help="also write the table here")
    args = ap.parse_args()
    trees = [t.split("=", 1) for t in args.tree]
    head = "| case | " + " | ".join(f"{label}: exit, last stderr line, left on disk" for label, _ in trees) + " |"
    rows = [head, "|" + "---|" * (len(trees) + 1)]
    print(head, flush=True)
    for name, snippet, check in CASES:
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        cells = []
        for _, src in trees:
            code, msg, seen = run_case(snippet, check, src)
            cells.append(f"{code}: {msg}" + (f" [{seen}]" if seen else ""))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
