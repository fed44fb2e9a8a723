"""The pictures of docs/live.md: a real toy-25gaussians-fast run of ``--step`` iterations with
--live, opened in headless chromium, paused just before its end from the page's own button and
captured (``--out``); then resumed from the page, and its report (written at the end of the run)
opened from disk and captured (``--report-out``).

    python experiments/live_screenshot.py --step 3000 --out docs/live-view.png --report-out docs/report.png
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
    p.add_argument("--report-out", type=Path, default=Path("docs/report.png"))
    args = p.parse_args(argv)
    from selenium import webdriver

    with tempfile.TemporaryDirectory() as work:
        proc = subprocess.Popen([sys.executable, "-m", "wgangp", "train", "toy-25gaussians-fast", "--out", f"{work}/r",
                                 "--live", "--quiet", "--set", "device=cpu", "--set", f"train.iterations={args.step}",
                                 "--set", "train.eval_every=1000"],
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
            while step() < args.step - 60:
                time.sleep(0.1)
            browser.find_element("id", "pause").click()
            while browser.execute_script("return document.getElementById('status').textContent") != "paused":
                time.sleep(0.2)
            time.sleep(1.0)                              # the curves' next redraw
            browser.save_screenshot(str(args.out))
            print(f"wrote {args.out}: the page paused at step {step()}")
            browser.find_element("id", "resume").click()
            proc.wait(timeout=600)
            browser.set_window_size(1200, 1800)
            browser.get((Path(work) / "r" / "report.html").as_uri())
            time.sleep(2.0)
            browser.save_screenshot(str(args.report_out))
            print(f"wrote {args.report_out}: the report of the finished run")
        finally:
            browser.quit()
            proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
