"""Check the built documentation as a reader sees it, in headless Chromium.

Usage, from the repository root, after building the site::

    python3 docs/browser_check.py [--html docs/_build/html]
                                  [--screenshots docs/_build/screenshots]

Opens a few pages from file://, as a reader opening a clone's build does,
in a headless Chromium that can resolve no host name, and fails unless on
each page:

* every formula is typeset by MathJax: each of Sphinx's math elements holds
  MathJax's output, no MathJax error is shown, and the visible text (code
  aside) holds no raw TeX such as ``\\frac`` or ``\\[``;
* every image has loaded (``naturalWidth > 0``), and so has every font;
* what the page is for is there: formulas on the index and the math page,
  the figure of the gallery page, the gallery's thumbnails;
* nothing was logged as an error: no uncaught exception, no console error,
  no resource that failed to load;
* nothing was asked of the network: every request is for a file of the site.

It saves a screenshot of each page (PNG) in the screenshots folder, which is
under the ignored docs/_build, and exits with status 1 and a line per
problem if any check fails (2 if it could not run). Needs Debian's chromium
(.ci/docs installs it:
``apt-get install -y --no-install-recommends chromium fonts-dejavu-core``)
and nothing from PyPI: it speaks the Chrome DevTools protocol over a pipe.
"""

import argparse
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from base64 import b64decode
from pathlib import Path
from typing import NamedTuple

DOCS = Path(__file__).resolve().parent


class Page(NamedTuple):
    path: str  # in the built site
    screenshot: str  # file name
    formulas: int = 0  # at least this many formulas
    images: int = 0  # at least this many images
    focus: str | None = None  # the screenshot centres on it; None: the top


# The landing page, the derivation, a gallery page with a figure (the one
# example the quick build runs), the gallery's thumbnails and an estimator's
# API page.
PAGES = [
    Page("index.html", "index.png", formulas=1),
    Page("math.html", "math.png", formulas=100),
    Page(
        "auto_examples/plot_gradient_check.html",
        "gallery_gradient_check.png",
        images=1,
        focus="img.sphx-glr-single-img",
    ),
    Page("auto_examples/index.html", "gallery_index.png", images=11),
    Page("generated/skl_sparseae.SparseAutoencoder.html", "api_sparse_autoencoder.png"),
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    # No host name resolves: a page that needs the network fails here too.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]

WIDTH, HEIGHT = 1280, 1000
PAGE_TIMEOUT = 60.0

# Run in the page once it has loaded: waits for MathJax's typesetting, the
# fonts and every image, then returns the problems it finds.
CHECK_PAGE_JS = r"""
(async () => {
  const problems = [];
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  for (const font of document.fonts) {
    if (font.status === "error") problems.push("font did not load: " + font.family);
  }
  const images = Array.from(document.images);
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  for (const img of images) {
    if (!(img.complete && img.naturalWidth > 0)) {
      problems.push("image did not load: " + (img.currentSrc || img.src));
    }
  }
  const formulas = document.querySelectorAll("div.math, span.math");
  const untypeset = Array.from(formulas).filter(
    (el) => !el.querySelector("mjx-container"));
  for (const el of untypeset.slice(0, 5)) {
    const text = el.textContent.replace(/\s+/g, " ").trim();
    problems.push("formula not typeset: " + text.slice(0, 80));
  }
  if (untypeset.length > 5) {
    problems.push("... " + untypeset.length + " of " + formulas.length +
      " formulas not typeset");
  }
  for (const el of document.querySelectorAll("mjx-merror")) {
    problems.push("MathJax error: " +
      (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 120));
  }
  const commands = [
    "begin", "end", "frac", "sum", "sqrt", "left", "right", "math[a-z]+", "hat",
    "top", "lVert", "rVert", "Vert", "alpha", "beta", "rho", "sigma", "partial",
    "nabla", "odot", "cdot", "quad", "[\\[\\]()]",
  ];
  const tex = new RegExp("\\\\(" + commands.join("|") + ")");
  // MathJax shows a macro it does not know as its name, in red: in the
  // MathML it keeps for screen readers, any backslash is TeX left over.
  const leftover = /\\([A-Za-z]+|[\[\]()])/;
  const skip = "pre, code, script, style, textarea";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let raw = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    const pattern = parent.closest("mjx-container") ? leftover : tex;
    if (pattern.test(node.textContent)) {
      raw += 1;
      if (raw <= 5) {
        problems.push("raw TeX in the visible text: ..." +
          node.textContent.replace(/\s+/g, " ").trim().slice(0, 80) + "...");
      }
    }
  }
  if (raw > 5) problems.push("... " + raw + " text nodes with raw TeX in all");
  // The screenshot shows the page's top, or the element to look at.
  if (FOCUS) {
    const focus = document.querySelector(FOCUS);
    if (focus) focus.scrollIntoView({block: "center"});
    else problems.push("nothing on the page matches " + FOCUS);
  }
  return {
    problems: problems,
    formulas: formulas.length,
    images: images.length,
    scroll: Math.floor(window.scrollY),
    title: document.title,
  };
})()
"""


class CheckError(Exception):
    """The check could not run (as opposed to a page failing it)."""


class DevTools:
    """Chromium driven through the DevTools protocol on fds 3 and 4."""

    def __init__(self, chromium, profile, log):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def give_pipes():  # in the child: its fd 3 reads, fd 4 writes
            read = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=give_pipes,
            close_fds=False,  # fds 3 and 4 must stay open; the rest are
        )  # not inheritable (PEP 446), so exec closes them
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=PAGE_TIMEOUT):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline, f"the reply to {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CheckError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method, session, timeout=PAGE_TIMEOUT):
        for event in self.events:
            if event["method"] == method and event.get("sessionId") == session:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._receive(deadline, method)
            if "method" in event:
                self.events.append(event)
                if event["method"] == method and event.get("sessionId") == session:
                    return event

    def _receive(self, deadline, what):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise CheckError(f"timed out waiting for {what}")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise CheckError(f"Chromium exited while waiting for {what}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (CheckError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def _is_local(url):
    return url.split(":", 1)[0] in {"file", "data", "blob", "about"}


def _logged_problems(events, session):
    """The errors and network requests the page's events report."""
    problems, urls = [], {}
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event["method"], event["params"]
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            problems.append(f"uncaught exception: {text.splitlines()[0]}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in {
            "error",
            "assert",
        }:
            text = " ".join(
                str(arg.get("value", arg.get("description", "")))
                for arg in params["args"]
            )
            problems.append(f"console.{params['type']}: {text[:200]}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            problems.append(f"logged error: {entry['text']} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not _is_local(url):
                problems.append(f"network request: {url[:200]}")
        elif method == "Network.loadingFailed":
            url = urls.get(params["requestId"], params["requestId"])
            problems.append(f"failed to load ({params['errorText']}): {url}")
    return problems


def check_page(browser, html, page, screenshot):
    path = html / page.path
    if not path.is_file():
        return [f"{page.path} is not in the build"], None
    # A new browser context for each page: a first visit, with empty storage.
    context = browser.send("Target.createBrowserContext")["browserContextId"]
    target = browser.send(
        "Target.createTarget", {"url": "about:blank", "browserContextId": context}
    )["targetId"]
    session = browser.send(
        "Target.attachToTarget", {"targetId": target, "flatten": True}
    )["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    browser.send("Page.navigate", {"url": path.as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired", session)
    result = browser.send(
        "Runtime.evaluate",
        {
            "expression": f"const FOCUS = {json.dumps(page.focus)};\n{CHECK_PAGE_JS}",
            "awaitPromise": True,
            "returnByValue": True,
        },
        session=session,
    )
    if "exceptionDetails" in result:
        raise CheckError(f"the check failed to run on {page.path}: {result}")
    found = result["result"]["value"]
    for what in ("formulas", "images"):
        if found[what] < getattr(page, what):
            found["problems"].append(
                f"{found[what]} {what}, where at least {getattr(page, what)} "
                "were expected"
            )
    image = browser.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "clip": {
                "x": 0,
                "y": found["scroll"],
                "width": WIDTH,
                "height": HEIGHT,
                "scale": 1,
            },
        },
        session=session,
    )
    screenshot.write_bytes(b64decode(image["data"]))
    # Let the last console messages and failed loads arrive before counting.
    browser.send("Runtime.evaluate", {"expression": "0"}, session=session)
    problems = found["problems"] + _logged_problems(browser.events, session)
    browser.send("Target.disposeBrowserContext", {"browserContextId": context})
    return problems, found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=DOCS / "_build" / "html")
    parser.add_argument(
        "--screenshots", type=Path, default=DOCS / "_build" / "screenshots"
    )
    parser.add_argument("--chromium", default=shutil.which("chromium"))
    args = parser.parse_args(argv)

    if not args.chromium:
        print(
            "browser_check: no chromium found; install Debian's: "
            "apt-get update && apt-get install -y --no-install-recommends "
            "chromium fonts-dejavu-core",
            file=sys.stderr,
        )
        return 2
    html = args.html.resolve()
    if not (html / "index.html").is_file():
        print(
            f"browser_check: no built site in {html}; build it first: "
            "python3 -m sphinx -W -b html docs docs/_build/html",
            file=sys.stderr,
        )
        return 2
    args.screenshots.mkdir(parents=True, exist_ok=True)

    failures = 0
    with tempfile.TemporaryDirectory(prefix="browser_check_") as profile:
        log_path = Path(profile) / "chromium.log"
        try:
            with open(log_path, "w") as log:
                browser = DevTools(args.chromium, Path(profile) / "profile", log)
        except OSError as error:
            print(f"browser_check: could not start {args.chromium}: {error}")
            return 2
        try:
            for page in PAGES:
                screenshot = args.screenshots / page.screenshot
                problems, found = check_page(browser, html, page, screenshot)
                if problems:
                    failures += 1
                    print(f"FAIL {page.path}:")
                    for problem in problems:
                        print(f"     {problem}")
                else:
                    print(
                        f"ok   {page.path}: {found['formulas']} formulas typeset, "
                        f"{found['images']} images loaded, no errors, no network "
                        f"-> {screenshot}"
                    )
        except CheckError as error:
            print(f"browser_check: {error}; Chromium's log ends:", file=sys.stderr)
            print(log_path.read_text()[-3000:], file=sys.stderr)
            return 2
        finally:
            browser.close()
    if failures:
        print(f"browser_check: {failures} of {len(PAGES)} pages failed the check")
        return 1
    print(f"browser_check: all {len(PAGES)} pages pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
