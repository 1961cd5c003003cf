"""Every slider view of every widget notebook, driven in a real browser (JupyterLab + Chromium).

For each notebook: open it, run all cells (fast mode), wait until every code cell has an
execution count (galata's ``haveBeenExecuted``) and the kernel is idle, then for every view (a
widget box whose first child is its title) and every control in it: type a new value into the
slider's ``.widget-readout`` + Enter (the same in ipywidgets 7.7 and 8) or pick another dropdown
option, wait for the image to be replaced, and assert that its pixels changed, that no output
shows a traceback and that no widget shows an error. ``EXPECTED`` lists the views and controls
each notebook must have (a renamed or vanished view fails the test). Screenshots go to
tests/e2e/artifacts/<notebook>/.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import ARTIFACTS, NOTEBOOKS

pytestmark = pytest.mark.e2e

# notebook -> {view title: [control descriptions]}; optional explicit values: "desc=value"
# Every other view found in the page is driven too (all its sliders and dropdowns).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "00_setup_check.ipynb": {"sine wave": ["frequency", "phase"]},
    "00b_discriminative_vs_generative.ipynb": {
        "add mass at a point": ["added mass", "point x", "point y"],
        "an outlier: classifier vs density": ["point x", "point y"],
        "abstaining classifier: density threshold": ["rejected fraction of training points"],
    },
    "01_kmeans.ipynb": {
        "k-means step-through": ["iteration"],
        "colour quantisation": ["k (colours)"],
    },
    "02_mean_shift.ipynb": {
        "mean shift bandwidth": ["bandwidth"],
        "mean shift segmentation": ["bandwidth"],
    },
    "03_unet.ipynb": {"UNet predictions on validation images": ["validation image"]},
    "04_autoencoders_vae.ipynb": {
        "denoising autoencoder": ["noise std"],
        "latent perturbation": ["z0", "z1"],
        "interpolation AE vs VAE": ["t (a -> b)"],
        "beta-VAE": ["beta"],
    },
    "04b_vae_likelihood.ipynb": {"true posterior vs encoder q(z|x)": ["test image"]},
    "05_gan.ipynb": {
        "1-D GAN: G(z) and D(x) over training": ["snapshot"],
        "grid, tuned: samples over D's decision surface": ["snapshot"],
        "DCGAN: fixed z after each epoch": ["epoch"],
        "latent interpolation": ["t", "method"],
        "latent perturbation": ["z[0] offset"],
        "conditional GAN: pick a digit, move z": ["digit", "z[0]"],
    },
    "05b_gan_beyond.ipynb": {
        "Progressive growing: samples over training": ["snapshot"],
        "CycleGAN round trips thin -> thick -> thin": ["model", "first test image"],
    },
    "06_taxonomy.ipynb": {
        "PixelCNN: pixel by pixel": ["pixel index"],
        "flow matching: noise to digits": ["Euler step"],
        "classifier-free guidance": ["guidance w"],
    },
}

RUN_TIMEOUT = float(os.environ.get("LABKIT_E2E_TIMEOUT", 1800))
MOVE_TIMEOUT = 120.0


def widget_notebooks() -> list[str]:
    found = set()
    for p in NOTEBOOKS.glob("*.ipynb"):
        src = "\n".join(
            "".join(c.get("source", ""))
            for c in json.loads(p.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        if re.search(r"\bSliderView\b|labkit\.widgets|ipywidgets", src):
            found.add(p.name)
    return sorted(found | set(EXPECTED))


def _slug(s: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", s).strip("-").lower()[:40] or "x"


# --------------------------------------------------------------------------- in-page scripts
JS_STATE = """() => {
  const app = window.jupyterapp, p = app && app.shell.currentWidget;
  if (!p || !p.content || !p.content.model || !p.sessionContext) return {ready: false};
  const s = p.sessionContext.session, k = s && s.kernel;
  const errors = []; let pending = 0;
  for (const cell of p.content.model.cells) {
    if (cell.type !== 'code') continue;
    if (cell.sharedModel.getSource().length > 0 && cell.executionCount === null) pending++;
    for (const o of cell.outputs.toJSON())
      if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  }
  return {ready: true, status: k ? k.status : 'none', executed: window.galata.haveBeenExecuted(),
          pending, errors};
}"""

# Views: a widget box whose first child is an HTML title and which holds an image. Marks the
# nodes with data-e2e-* attributes and describes them for Python.
JS_VIEWS = """() => {
  const views = [];
  const boxes = Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-vbox'));
  for (const box of boxes) {
    const first = box.firstElementChild;
    if (!first || !first.classList.contains('widget-html')) continue;
    const imgs = Array.from(box.querySelectorAll('img.widget-image'));
    if (!imgs.length) continue;
    const vi = views.length;
    box.setAttribute('data-e2e-view', String(vi));
    imgs.forEach((im, j) => im.setAttribute('data-e2e-img', vi + '-' + j));
    const controls = [];
    for (const c of box.querySelectorAll('.widget-slider, .widget-dropdown')) {
      if (c.closest('[data-e2e-view]') !== box) continue;
      const ci = controls.length;
      c.setAttribute('data-e2e-control', vi + '-' + ci);
      const label = c.querySelector('.widget-label');
      const h = c.querySelector('.noUi-handle');
      const sel = c.querySelector('select');
      const ro = c.querySelector('.widget-readout');
      controls.push({
        index: ci, description: label ? label.textContent.trim() : '',
        kind: sel ? 'dropdown' : 'slider',
        float: c.classList.contains('widget-float-slider') ||
               (ro ? /\\./.test(ro.textContent) : false),
        min: h ? parseFloat(h.getAttribute('aria-valuemin')) : null,
        max: h ? parseFloat(h.getAttribute('aria-valuemax')) : null,
        now: h ? parseFloat(h.getAttribute('aria-valuenow')) : null,
        readout: ro ? ro.textContent.trim() : null,
        options: sel ? Array.from(sel.options).map(o => o.textContent) : null,
        selected: sel ? sel.selectedIndex : null,
      });
    }
    views.push({index: vi, title: first.textContent.trim(), controls, n_images: imgs.length});
  }
  return views;
}"""

JS_PROBLEMS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
    const t = el.innerText || '';
    if (/Traceback|Error displaying widget/.test(t)) out.push(t.slice(0, 600));
  }
  for (const el of document.querySelectorAll('.jupyter-widgets-error-widget, .widget-error'))
    out.push('widget error: ' + (el.innerText || el.className).slice(0, 300));
  return out;
}"""


# --------------------------------------------------------------------------- helpers
class NotebookPage:
    def __init__(self, page, name: str, art: Path):
        self.page, self.name, self.art = page, name, art
        self.console: list[str] = []
        self.comm_msgs_sent = 0  # comm messages the page sent to the kernel (websocket frames)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("websocket", self._watch_ws)
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def _watch_ws(self, ws):
        def sent(payload):
            if (b"comm_msg" if isinstance(payload, bytes) else "comm_msg") in payload:
                self.comm_msgs_sent += 1

        ws.on("framesent", sent)

    def state(self):
        return self.page.evaluate(JS_STATE)

    def open(self, url: str):
        self.page.goto(url, wait_until="domcontentloaded", timeout=180_000)
        self.page.wait_for_function("() => window.jupyterapp && window.galata", timeout=180_000)
        self.page.evaluate(
            "async () => { await window.jupyterapp.started; await window.jupyterapp.restored;"
            " void window.galata.app; }"
        )  # the getter binds galata to the app
        self.page.wait_for_function(
            "() => { const p = window.jupyterapp.shell.currentWidget;"
            " return p && p.sessionContext && p.sessionContext.session"
            " && p.sessionContext.session.kernel"
            " && p.sessionContext.session.kernel.status === 'idle'; }",
            timeout=180_000,
            polling=500,
        )

    def start_run(self):
        self.page.evaluate(
            "() => { window.galata.resetExecutionCount();"
            " void window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )
        self.t0 = time.monotonic()
        self.idle_seen = 0

    def run_finished(self, timeout: float) -> bool:
        """True once every code cell has an execution count and the kernel stays idle."""
        st = self.state()
        if st.get("errors"):
            raise AssertionError(f"{self.name}: a cell raised: {st['errors']}")
        self.idle_seen = (
            self.idle_seen + 1 if (st.get("executed") and st.get("status") == "idle") else 0
        )
        if time.monotonic() - self.t0 > timeout:
            raise AssertionError(f"{self.name}: not done after {timeout:.0f} s: {st}")
        if self.idle_seen >= 2:
            self.run_s = time.monotonic() - self.t0
            return True
        return False

    def wait_idle(self, timeout=MOVE_TIMEOUT):
        self.page.wait_for_function(
            "() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
            " return k && k.status === 'idle'; }",
            timeout=timeout * 1000,
            polling=200,
        )

    def views(self):
        return self.page.evaluate(JS_VIEWS)

    def problems(self):
        return self.page.evaluate(JS_PROBLEMS)

    def image_state(self, vi: int):
        """(src list, screenshots as arrays) of the view's images, once they are loaded."""
        imgs = self.page.locator(f'[data-e2e-view="{vi}"] img[data-e2e-img]')
        self.page.wait_for_function(
            f"""() => Array.from(document.querySelectorAll(
                      '[data-e2e-view="{vi}"] img[data-e2e-img]'))
                  .every(i => i.complete && i.naturalWidth > 0)""",
            timeout=60_000,
        )
        srcs, shots = [], []
        for j in range(imgs.count()):
            im = imgs.nth(j)
            srcs.append(im.get_attribute("src"))
            shots.append(
                np.asarray(Image.open(io.BytesIO(im.screenshot())).convert("RGB")).astype(np.int16)
            )
        return srcs, shots

    def view_errors(self, vi: int) -> str:
        out = self.page.locator(f'[data-e2e-view="{vi}"] .widget-output')
        return "\n".join(out.nth(i).inner_text() for i in range(out.count())).strip()

    def set_control(self, vi: int, c: dict, value=None) -> str:
        loc = self.page.locator(f'[data-e2e-control="{vi}-{c["index"]}"]')
        loc.scroll_into_view_if_needed()
        if c["kind"] == "dropdown":
            opts = c["options"]
            idx = opts.index(str(value)) if value is not None else (c["selected"] + 1) % len(opts)
            loc.locator("select").select_option(index=idx)
            return opts[idx]
        text = str(value) if value is not None else new_slider_value(c)
        ro = loc.locator(".widget-readout")
        sent = self.comm_msgs_sent
        ro.click()
        ro.fill(text)
        ro.press("Enter")
        deadline = time.monotonic() + 8  # a numeric slider sends the new value at once
        while self.comm_msgs_sent == sent and time.monotonic() < deadline:
            self.page.wait_for_timeout(200)  # (lets Playwright deliver the websocket events)
        if self.comm_msgs_sent == sent:
            # a SelectionSlider's readout shows a label and ignores typing: use the keyboard on
            # the handle (noUiSlider in ipywidgets 8, jQuery UI in 7)
            handle = loc.locator(".noUi-handle, .ui-slider-handle").first
            handle.focus()
            key = "ArrowLeft" if (c["now"] is not None and c["now"] >= c["max"]) else "ArrowRight"
            handle.press(key)
            return key
        return text


def new_slider_value(c: dict) -> str:
    """A value away from the current one: halfway to the far end of the range."""
    if c["min"] is None or c["max"] is None or c["now"] is None:
        raise AssertionError(
            f"slider {c['description']!r}: no range in the DOM; give a value in EXPECTED"
        )
    lo, hi, now = c["min"], c["max"], c["now"]
    target = (now + hi) / 2 if hi - now >= now - lo else (now + lo) / 2
    if not c["float"]:
        target = int(np.ceil(target)) if target > now else int(np.floor(target))
        return str(target)
    return f"{target:.4g}"


def pixel_change(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Largest fraction of changed pixels over the view's images (a size change counts as 1)."""
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return 1.0
        worst = max(worst, float((np.abs(x - y).max(axis=-1) > 8).mean()))
    return worst


# --------------------------------------------------------------------------- scheduling
class Runner:
    """Runs the notebooks' "run all" in up to ``parallel`` browser pages (kernels) at once, so
    one notebook's cells run while another one's sliders are being moved."""

    def __init__(self, server, browser, names, parallel):
        self.server, self.browser, self.parallel = server, browser, max(1, parallel)
        self.queue, self.running, self.done = list(names), {}, {}

    def _start(self, name):
        art = ARTIFACTS / name.removesuffix(".ipynb")
        art.mkdir(parents=True, exist_ok=True)
        for old in art.glob("*"):
            old.unlink()
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        nbp = NotebookPage(context.new_page(), name, art)
        nbp.context = context
        self.running[name] = nbp
        try:
            nbp.open(f"{self.server.url}/lab/tree/{name}?reset&token={self.server.token}")
            nbp.start_run()
        except Exception as e:  # noqa: BLE001 - reported by the notebook's own test
            self.done[name] = (nbp, e)
            del self.running[name]

    def _poll(self):
        for name, nbp in list(self.running.items()):
            try:
                finished = nbp.run_finished(RUN_TIMEOUT)
            except Exception as e:  # noqa: BLE001
                self.done[name], finished = (nbp, e), False
                del self.running[name]
                continue
            if finished:
                self.done[name] = (nbp, None)
                del self.running[name]
        while len(self.running) < self.parallel and self.queue:
            self._start(self.queue.pop(0))

    def wait(self, name):
        """The notebook's page once all its cells have run (raises what went wrong)."""
        if name not in self.running and name not in self.done:
            if name in self.queue:
                self.queue.remove(name)
            self._start(name)
        while name not in self.done:
            self._poll()
            time.sleep(1.0)
        nbp, err = self.done[name]
        self._poll()  # keep the next notebooks going
        return nbp, err

    def shutdown_kernel(self, name):
        """Free the notebook's kernel (about 1 GB) once its test is over."""
        try:
            for sess in self.server.api("GET", "/api/sessions"):
                if sess.get("path", "").endswith(name):
                    self.server.api("DELETE", f"/api/sessions/{sess['id']}", timeout=60)
        except Exception:  # noqa: BLE001 - the server's teardown stops it anyway
            pass

    def close(self):
        for nbp, _ in list(self.done.values()) + [(n, None) for n in self.running.values()]:
            try:
                nbp.context.close()
            except Exception:  # noqa: BLE001
                pass


@pytest.fixture(scope="session")
def runner(request, lab_server, browser):
    selected = [
        it.callspec.params["notebook"]
        for it in request.session.items
        if hasattr(it, "callspec") and "notebook" in it.callspec.params
    ]  # honours -k
    r = Runner(
        lab_server,
        browser,
        [n for n in selected if (NOTEBOOKS / n).exists()],
        int(os.environ.get("LABKIT_E2E_PARALLEL", 2)),
    )
    yield r
    r.close()


# --------------------------------------------------------------------------- the test
@pytest.mark.parametrize("notebook", widget_notebooks())
def test_widget_notebook_in_browser(notebook, runner):
    if not (NOTEBOOKS / notebook).exists():
        pytest.skip(f"{notebook} is not in notebooks/ yet")
    nbp, err = runner.wait(notebook)
    page, art = nbp.page, nbp.art
    report = {"notebook": notebook, "moves": []}
    try:
        if err is not None:
            raise err
        report["run_s"] = round(nbp.run_s, 1)
        expected = EXPECTED.get(notebook, {})
        titles = list(expected)
        page.wait_for_function(
            "(titles) => { const t = Array.from(document.querySelectorAll("
            "'.jp-OutputArea-output .widget-vbox > .widget-html:first-child'))"
            ".map(e => e.textContent.trim());"
            " return titles.every(x => t.includes(x))"
            " && document.querySelectorAll('img.widget-image').length > 0; }",
            arg=titles,
            timeout=120_000,
        )
        views = nbp.views()
        report["views"] = [
            {"title": v["title"], "controls": [c["description"] for c in v["controls"]]}
            for v in views
        ]
        assert views, f"{notebook}: no slider view found in the page"
        for title, descs in expected.items():
            match = [v for v in views if v["title"] == title]
            assert match, (
                f"{notebook}: view {title!r} not found; views: {[v['title'] for v in views]}"
            )
            have = [c["description"] for c in match[0]["controls"]]
            for d in descs:
                assert d.split("=")[0] in have, (
                    f"{notebook}: view {title!r} has no control {d!r}; has {have}"
                )
        assert not nbp.problems(), f"{notebook}: errors shown after running: {nbp.problems()}"

        for v in views:
            values = {}
            for d in expected.get(v["title"], []):
                if "=" in d:
                    k, val = d.split("=", 1)
                    values[k] = val
            for c in v["controls"]:
                name = f"{_slug(v['title'])}__{_slug(c['description'])}"
                before_src, before = nbp.image_state(v["index"])
                Image.fromarray(before[0].astype(np.uint8)).save(art / f"{name}__before.png")
                typed = nbp.set_control(v["index"], c, values.get(c["description"]))
                t0 = time.monotonic()
                try:
                    page.wait_for_function(
                        f"""(old) => {{ const im = Array.from(document.querySelectorAll(
                              '[data-e2e-view="{v["index"]}"] img[data-e2e-img]'));
                            return im.some((i, j) => i.getAttribute('src') !== old[j]); }}""",
                        arg=before_src,
                        timeout=MOVE_TIMEOUT * 1000,
                        polling=200,
                    )
                    replaced = True
                except Exception:  # noqa: BLE001 - reported below with the view's error text
                    replaced = False
                nbp.wait_idle()
                _, after = nbp.image_state(v["index"])
                secs = time.monotonic() - t0
                Image.fromarray(after[0].astype(np.uint8)).save(art / f"{name}__after.png")
                page.locator(f'[data-e2e-view="{v["index"]}"]').screenshot(
                    path=str(art / f"{name}__view.png")
                )
                change = pixel_change(before, after)
                report["moves"].append(
                    {
                        "view": v["title"],
                        "control": c["description"],
                        "typed": typed,
                        "image_replaced": replaced,
                        "changed_pixels": round(change, 4),
                        "seconds": round(secs, 1),
                    }
                )
                err = nbp.view_errors(v["index"])
                assert not err, (
                    f"{notebook}: view {v['title']!r} shows an error after "
                    f"{c['description']}={typed}:\n{err}"
                )
                assert replaced, (
                    f"{notebook}: view {v['title']!r}: setting {c['description']!r} to {typed} "
                    f"did not replace the image within {MOVE_TIMEOUT:.0f} s"
                )
                assert change > 0.001, (
                    f"{notebook}: view {v['title']!r}: {c['description']}={typed} replaced "
                    f"the image but no pixel changed ({change:.4%})"
                )
                problems = nbp.problems()
                assert not problems, (
                    f"{notebook}: errors shown after {c['description']}={typed}: {problems}"
                )
        assert not nbp.state()["errors"]
    except Exception:
        try:
            page.screenshot(path=str(art / "failure_page.png"))
        except Exception:  # noqa: BLE001
            pass
        raise
    finally:
        (art / "report.json").write_text(json.dumps(report, indent=1))
        (art / "console.log").write_text("\n".join(nbp.console))
        nbp.context.close()
        runner.shutdown_kernel(notebook)
