"""The live page and the report in a real browser (Debian's chromium + chromium-driver, driven by
Selenium). Skipped with the reason where either is missing; ``.ci/run`` installs both."""
import shutil
import time

import pytest

from tests.viz.test_live import _get, start_live_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromium-driver "
                                "(apt-get install chromium chromium-driver)")


@pytest.fixture()
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1600"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=opts)
    drv.set_script_timeout(20)
    yield drv
    drv.quit()


def _wait(browser, script: str, timeout: float = 60.0):
    end = time.time() + timeout
    while time.time() < end:
        got = browser.execute_script(script)
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


PAINTED = """const c = document.getElementById(arguments[0]); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const seen = new Set(); for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]); return seen.size;"""


def test_the_live_page_follows_a_training_run_and_its_pause_button_stops_it(tmp_path, browser):
    proc, url = start_live_run(tmp_path / "r")
    try:
        browser.get(url)
        first = int(_wait(browser, "return document.getElementById('step').dataset.step"))
        later = int(_wait(browser, f"const s = +document.getElementById('step').dataset.step; return s > {first} + 10 && s"))
        assert later > first                                                  # the counter advances
        assert browser.execute_script(PAINTED, "surface") > 20                 # a heat map, not a blank canvas
        assert browser.execute_script(PAINTED, "gradnorm") > 1
        _wait(browser, "return document.querySelectorAll('#curves .curve canvas').length >= 4")   # uPlot curves
        _wait(browser, "return document.querySelector('.curve[data-key=\"w_estimate\"]') !== null")
        browser.find_element("id", "pause").click()
        _wait(browser, "return document.getElementById('status').textContent === 'paused'")
        held = int(browser.execute_script("return document.getElementById('step').dataset.step"))
        time.sleep(1.5)
        assert _get(url + "api/state")["snapshot"]["step"] <= held + 1        # at most the iteration in flight
        browser.find_element("id", "set-optim.lr").clear()
        browser.find_element("id", "set-optim.lr").send_keys("0.0003")
        browser.find_element("id", "apply-optim.lr").click()
        browser.find_element("id", "resume").click()
        _wait(browser, "return document.getElementById('status').textContent === 'training'")
        _wait(browser, "return [...document.querySelectorAll('#events li')].some(li => li.textContent.includes('optim.lr'))")
        assert _get(url + "api/state")["snapshot"]["settings"]["optim.lr"] == 0.0003
        requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert requests and all(r.startswith(url) or r.startswith("data:") for r in requests), requests
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        assert browser.save_screenshot(str(tmp_path / "live.png")) and (tmp_path / "live.png").stat().st_size > 20_000
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_the_report_renders_offline_with_no_request(tmp_path, browser):
    from wgangp import api
    from wgangp.config import load_config

    run_dir = tmp_path / "done"
    cfg = load_config("toy-8gaussians", {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64,
                                          "train.iterations": 10, "train.log_every": 2, "train.eval_every": 5,
                                          "train.eval_samples": 200, "device": "cpu"})
    api.train(cfg, run_dir, progress=False)
    browser.get((run_dir / "report.html").as_uri())
    _wait(browser, "return document.querySelectorAll('#curves .curve canvas').length >= 5")
    requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [r for r in requests if not r.startswith("data:")] == []       # nothing fetched, not even a file
    assert browser.execute_script("return [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    assert browser.save_screenshot(str(tmp_path / "report.png")) and (tmp_path / "report.png").stat().st_size > 20_000


def test_the_playground_page_starts_a_run_that_the_page_follows(tmp_path, browser):
    from wgangp.viz import live
    from wgangp.viz.playground import Playground

    server = live.serve(tmp_path, None, say=lambda m: None)
    server.playground = Playground(tmp_path, server)
    try:
        browser.get(server.url)
        _wait(browser, "return document.getElementById('pg-train') !== null")
        browser.execute_script("document.getElementById('pg-data').value = 'drawn'; "
                               "document.getElementById('pg-data').dispatchEvent(new Event('change'));")
        surface = browser.find_element("id", "surface")
        from selenium.webdriver.common.action_chains import ActionChains

        for dx in range(-120, 121, 30):                              # nine points clicked onto the plane
            ActionChains(browser).move_to_element_with_offset(surface, dx, dx // 2).click().perform()
        assert "9 points drawn" in browser.find_element("id", "pg-answer").text
        for key, value in (("pg-hidden", "16"), ("pg-depth", "2"), ("pg-iterations", "3000")):
            browser.find_element("id", key).clear()
            browser.find_element("id", key).send_keys(value)
        browser.find_element("id", "pg-train").click()
        _wait(browser, "return document.getElementById('pg-answer').textContent.startsWith('started run-001')")
        _wait(browser, "return +document.getElementById('step').dataset.step > 20")
        assert browser.execute_script(PAINTED, "surface") > 20
        import json

        assert json.loads((tmp_path / "run-001" / "config.json").read_text())["data"]["name"] == "points"
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        server.playground.stop()
        server.close()


def test_a_table_run_page_draws_its_columns_and_the_correlation_gaps(tmp_path, browser):
    from wgangp import api
    from wgangp.config import load_config
    from wgangp.viz import live

    cfg = load_config("table-breast-cancer", {"train.iterations": 3, "data.batch_size": 64, "model.hidden": 32,
                                              "model.depth": 2, "train.eval_samples": 64, "device": "cpu"})
    api.train(cfg, tmp_path / "t", progress=False, live={})
    server = live.serve(tmp_path / "t", None, say=lambda m: None)      # wgangp watch of the finished run
    try:
        browser.get(server.url)
        _wait(browser, "return document.querySelectorAll('#table-columns canvas').length >= 2")
        first = browser.execute_script("return document.querySelector('#table-columns canvas').id = 'col0'")
        assert first == "col0" and browser.execute_script(PAINTED, "col0") > 2      # bars, not a blank canvas
        assert browser.execute_script(PAINTED, "corrgap") > 2
        assert browser.find_element("id", "plane-panels").get_attribute("hidden") is not None   # no toy panels
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        server.close()


@pytest.mark.parametrize("kind", ["images", "series", "text"])
def test_an_image_signal_or_text_run_page_draws_its_own_panel(tmp_path, browser, kind):
    from tests.viz.test_live import _kind_configs
    from wgangp import api
    from wgangp.viz import live

    api.train(_kind_configs(tmp_path)[kind], tmp_path / kind, progress=False, live={})
    server = live.serve(tmp_path / kind, None, say=lambda m: None)      # wgangp watch of the finished run
    try:
        browser.get(server.url)
        _wait(browser, f"return !document.getElementById('{kind}-panel').hidden")
        if kind == "images":                                        # the PNG grid decoded, not a broken image
            assert _wait(browser, "const i = document.getElementById('samples'); return i.complete && i.naturalWidth")
        elif kind == "series":                                      # a waveform chart a class and the spectra
            charts = _wait(browser, "const c = [...document.querySelectorAll('#series .curve')]; "
                                    "return c.length >= 3 && c.map(e => e.dataset.key)")
            assert {"wave-0", "wave-1", "spectra"} <= set(charts)
            assert browser.execute_script("return document.querySelector('#series .curve[data-key=\"spectra\"] "
                                          "canvas').id = 'spec'") == "spec"
            assert browser.execute_script(PAINTED, "spec") > 2
        else:
            lines = _wait(browser, "return document.getElementById('lines').textContent")
            assert len(lines.splitlines()) == 16
        assert browser.find_element("id", "plane-panels").get_attribute("hidden") is not None   # no toy panels
        _wait(browser, "return document.querySelectorAll('#curves .curve canvas').length >= 1")
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        server.close()
