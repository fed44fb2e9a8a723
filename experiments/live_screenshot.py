"""The picture of the live view in docs/live.md: a real toy-25gaussians-fast run with --live,
opened in headless chromium, paused at ``--step`` from the page's own button, captured, stopped.

    python experiments/live_screenshot.py --step 3000 --out docs/live-view.png
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--step", type=int, default=3000)
    p.add_argument("--out", type=Path, default=Path("docs/live-view.png"))
    args = p.parse_args(argv)
    from selenium import webdriver

    with tempfile.TemporaryDirectory() as work:
        proc = subprocess.Popen([sys.executable, "-m", "wgangp", "train", "toy-25gaussians-fast", "--out", f"{work}/r",
                                 "--live", "--quiet", "--set", "device=cpu", "--set", "train.eval_every=0"],
                                stderr=subprocess.PIPE, text=True)
        line = ""
        while "live view at" not in line:
            line = proc.stderr.readline()
            if not line:
                raise SystemExit(f"the run ended early: {proc.wait()}")
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1000"):
            opts.add_argument(arg)
        browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")),
                                   options=opts)
        try:
            browser.get(re.search(r"(http://\S+/)", line).group(1))
            step = lambda: int(browser.execute_script("return +document.getElementById('step').dataset.step || 0"))
            while step() < args.step:
                time.sleep(0.2)
            browser.find_element("id", "pause").click()
            while browser.execute_script("return document.getElementById('status').textContent") != "paused":
                time.sleep(0.2)
            time.sleep(1.0)                              # the curves' next redraw
            browser.save_screenshot(str(args.out))
            print(f"wrote {args.out}: the page paused at step {step()}")
            browser.find_element("id", "stop").click()
        finally:
            browser.quit()
            proc.wait(timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
