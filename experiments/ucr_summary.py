"""Mean +- std over seeds of every finished set of experiments/ucr_augmentation.py, as one table:
``python experiments/ucr_summary.py [OUT]`` (default runs/ucr; reads OUT/SET/seed*/result.json)."""
import glob
import importlib.util
import json
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location("u", Path(__file__).with_name("ucr_augmentation.py"))
u = importlib.util.module_from_spec(spec)
spec.loader.exec_module(u)
out = sys.argv[1] if len(sys.argv) > 1 else "runs/ucr"
res = {Path(d).name: [json.load(open(f)) for f in sorted(glob.glob(f"{d}/seed*/result.json"))]
       for d in sorted(glob.glob(f"{out}/*")) if "imbalance" not in d and glob.glob(f"{d}/seed*/result.json")}
print(u.markdown(u.summarise(res)))
