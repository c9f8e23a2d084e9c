#!/usr/bin/python3
"""The console in a real browser (headless Chromium driven by Selenium), against a real pingpostd
on 127.0.0.1 whose demo buyers are its own sandbox (an in-process fake buyer).

The whole flow of issue 15: sign in with the keyboard, create a buyer with a payload and an answer
mapping (a field-level error first), see its live preview, test it, send a lead through the intake
API and find it in the lead list, open its timeline and raw exchanges, pause the buyer, see both
changes in the change log and roll one back, a stale edit (412) shown and not written, reports;
then a read token (no controls, the API refuses) and a campaign-limited token (its campaign only).
Every page: no JavaScript error in the browser's console, every control named in the
accessibility tree, a full-page screenshot in --shots (a build artifact).

usage: console_test.py --pingpostd BIN --config configs/demo.json --shots DIR
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ADMIN, READ, LIMITED = "demo-admin-token", "demo-read-token", "console-mva-only-token"
CAMPAIGN, SUPPLIER, SUPPLIER_KEY = 21624, 55077, "mva-landing-page-key"
# Roles an accessible control must have a name for.
NAMED_ROLES = {"textbox", "combobox", "checkbox", "spinbutton", "button", "link", "searchbox", "tab",
               "radio", "listbox", "meter", "img", "PopUpButton"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, config_path, workdir):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        text = open(config_path).read().replace("127.0.0.1:8080", f"127.0.0.1:{self.port}")
        doc = json.loads(text)
        doc["api_tokens"].append({"name": "mva only", "token": LIMITED, "role": "read", "campaigns": [CAMPAIGN]})
        self.cfg = os.path.join(workdir, "config.json")
        json.dump(doc, open(self.cfg, "w"))
        self.log = open(os.path.join(workdir, "pingpostd.log"), "w")
        self.proc = subprocess.Popen([binary, "--config", self.cfg, "--data", os.path.join(workdir, "data"),
                                      "--listen", f"127.0.0.1:{self.port}", "--threads", "2"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("pingpostd did not start")

    def call(self, method, path, body=None, token=ADMIN, form=False, headers=None):
        data = None
        hdrs = {"Authorization": "Bearer " + token}
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw), dict(e.headers)
            except ValueError:
                return e.code, raw, dict(e.headers)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Console:
    def __init__(self, server, shots):
        self.s = server
        self.shots = shots
        self.n = 0
        o = Options()
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                  "--disable-gpu", "--no-first-run", "--disable-extensions"]:
            o.add_argument(a)
        o.binary_location = "/usr/bin/chromium"
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        self.d.set_page_load_timeout(30)
        self.problems = []
        self.statuses_seen = set()  # HTTP errors the browser logged (proof the log is read)

    # ---- finding and waiting -----------------------------------------------------------
    def wait(self, cond, what, timeout=20):
        try:
            # Pages re-render: an element found a moment ago may be gone; look again.
            return WebDriverWait(self.d, timeout, poll_frequency=0.05,
                                 ignored_exceptions=[StaleElementReferenceException]).until(lambda d: cond())
        except TimeoutException:
            self.shot("timeout")
            raise AssertionError(f"timed out waiting for: {what}")

    def find(self, xpath, what=None, timeout=20):
        def look():
            for e in self.d.find_elements(By.XPATH, xpath):
                if e.is_displayed():
                    return e
            return None
        return self.wait(look, what or xpath, timeout)

    def gone(self, xpath, what):
        self.wait(lambda: not [e for e in self.d.find_elements(By.XPATH, xpath) if e.is_displayed()], what)

    def control(self, label):
        """The control a <label> names (the label's `for`)."""
        lab = self.find(f"//label[normalize-space()={json.dumps(label)}]", f"label {label}")
        return self.d.find_element(By.ID, lab.get_attribute("for"))

    def button(self, text):
        return self.find(f"//button[normalize-space()={json.dumps(text)}] | //a[normalize-space()={json.dumps(text)}]",
                         f"button {text}")

    def tab(self, text):
        return self.find(f"//button[@role='tab' and normalize-space()={json.dumps(text)}]", f"tab {text}")

    def fill(self, label, value):
        c = self.control(label)
        c.clear()
        if value:
            c.send_keys(value)
        return c

    def choose(self, label, value_text):
        c = self.control(label)
        for o in c.find_elements(By.TAG_NAME, "option"):
            if o.text == value_text or o.get_attribute("value") == value_text:
                o.click()
                return c
        raise AssertionError(f"no option {value_text} in {label}")

    def go(self, fragment):
        self.d.execute_script("location.hash = arguments[0]", fragment)
        self.wait(lambda: self.d.execute_script("return location.hash").startswith(fragment.split("?")[0]), fragment)

    def text(self):
        return self.d.find_element(By.TAG_NAME, "main").text

    def loaded(self):
        """No widget still loading."""
        self.wait(lambda: not self.d.execute_script(
            "return [...document.querySelectorAll('[aria-busy=true]')].length || "
            "[...document.querySelectorAll('main p.muted')].some(p => p.textContent === 'Loading…')"), "widgets loaded")

    # ---- the checks every page gets ------------------------------------------------------
    def check_page(self, name, allowed_statuses=()):
        self.loaded()
        # Every chart on the page is drawn (Chart.js holds an instance for its canvas).
        self.wait(lambda: self.d.execute_script(
            "return [...document.querySelectorAll('figure canvas')].every(c => window.Chart && Chart.getChart(c))"),
            f"{name}: every chart drawn")
        self.check_console(name, allowed_statuses)
        self.check_accessibility(name)
        # Rendering slips: an object or a missing value printed as text.
        slip = re.search(r"\[object \w+\]|^(null|undefined|NaN)$|\bundefined\b", self.text(), re.M)
        if slip:
            self.problems.append(f"{name}: the page shows {slip.group(0)!r}")
        self.shot(name)

    def check_console(self, step, allowed_statuses=()):
        for e in self.d.get_log("browser"):
            msg = e.get("message", "")
            if e.get("level") != "SEVERE":
                continue
            m = re.search(r"status of (\d{3})", msg)
            if e.get("source") == "network" and m:
                self.statuses_seen.add(int(m.group(1)))
                if int(m.group(1)) in allowed_statuses:
                    continue  # an API refusal this step provokes on purpose
                if int(m.group(1)) == 400 and "/buyers/test" in msg:
                    continue  # the live preview of a draft that is not valid yet (shown as such)
            self.problems.append(f"{step}: browser console: {msg}")

    def check_accessibility(self, page):
        tree = self.d.execute_cdp_cmd("Accessibility.getFullAXTree", {})
        unnamed = []
        for n in tree["nodes"]:
            if n.get("ignored"):
                continue
            role = n.get("role", {}).get("value")
            name = (n.get("name") or {}).get("value", "")
            if role in NAMED_ROLES and not str(name).strip():
                unnamed.append(role)
        if unnamed:
            self.problems.append(f"{page}: controls without an accessible name: {unnamed}")
        # Every visible form control has a <label for> (or an aria-label).
        missing = self.d.execute_script("""
          return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(c => c.offsetParent !== null)
            .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
            .map(c => c.outerHTML.slice(0, 80));""")
        if missing:
            self.problems.append(f"{page}: unlabelled controls: {missing}")

    def shot(self, name):
        self.n += 1
        h = self.d.execute_script("return document.documentElement.scrollHeight")
        self.d.set_window_size(1400, min(max(h, 900) + 40, 8000))
        # Charts redraw on resize: draw them at the new size now, then let a frame pass.
        self.d.execute_async_script(
            "const done = arguments[0];"
            "if (window.Chart) Object.values(Chart.instances).forEach(c => { c.resize(); c.update('none'); });"
            "requestAnimationFrame(() => requestAnimationFrame(() => done()))")
        self.d.save_screenshot(os.path.join(self.shots, f"{self.n:02d}-{name}.png"))
        self.d.set_window_size(1400, 1000)

    def press(self, *keys):
        """Keys to whatever has the focus, as a person would type them."""
        ActionChains(self.d).send_keys(*keys).perform()

    # ---- sessions ----------------------------------------------------------------------
    def sign_out(self):
        self.d.execute_script("sessionStorage.clear()")
        self.d.get(self.s.base + "/console/")

    def sign_in_with_keyboard(self, token):
        self.d.get(self.s.base + "/console/")
        self.find("//h1[normalize-space()='pingpost console']", "sign-in page")
        self.check_page("sign-in")
        # Start where a person would: a click on the page's title, then Tab.
        self.find("//h1[normalize-space()='pingpost console']").click()
        token_input = self.control("API token")
        for _ in range(3):
            self.press(Keys.TAB)
            if self.d.switch_to.active_element == token_input:
                break
        assert self.d.switch_to.active_element == token_input, "Tab does not reach the token field"
        self.press(token)
        self.press(Keys.ENTER)
        self.find("//h1[normalize-space()='Dashboard']", "dashboard after sign-in")
        assert token not in self.d.current_url


def self_check(c):
    """The checks can fail: an unlabelled control is reported."""
    c.d.execute_script("const i = document.createElement('input'); i.id = 'probe'; document.body.append(i)")
    c.check_accessibility("self-check")
    assert any("self-check" in p for p in c.problems), "the accessibility check missed an unlabelled input"
    c.problems.clear()
    c.d.execute_script("document.getElementById('probe').remove()")


# Table-driven checks of the console's pure modules, run in the browser (no Node.js needed):
# [module, expression over the module `m`, expected JSON].
MODULE_CASES = [
    ["diff.js", "m.diff({a: 1, b: {c: 2}}, {a: 1, b: {c: 3}})", [{"path": "b.c", "before": 2, "after": 3}]],
    ["diff.js", "m.diff({x: [1, 2]}, {x: [1, 2, 3]})", [{"path": "x", "before": [1, 2], "after": [1, 2, 3]}]],
    ["diff.js", "m.diff({bs: [{id: 1, p: 1}, {id: 2, p: 1}]}, {bs: [{id: 2, p: 5}, {id: 1, p: 1}]})",
     [{"path": "bs[id=2].p", "before": 1, "after": 5}]],
    ["diff.js", "m.diff(null, {name: 'n', post: {url: 'u'}}).map(r => r.path)", ["name", "post.url"]],
    ["diff.js", "m.diff({paused: true}, {}).map(r => [r.path, r.before, r.after === undefined])", [["paused", True, True]]],
    ["diff.js", "m.diff({a: 1}, {a: 1})", []],
    ["pages/save.js", "m.mergePatch({a: 1, b: 2, c: {d: 1}}, {a: 1, c: {d: 2}, e: 3})", {"b": None, "c": {"d": 2}, "e": 3}],
    ["pages/save.js", "m.mergePatch({a: 1, s: [1]}, {a: 2, s: [1]}, ['s'])", {}],
    ["bind.js", "(() => { const e = new m.Editor({post: {url: 'x'}}); e.set('post.fields.a', '{{b}}');"
                " e.set('caps.leads[0].limit', 5); e.set('post.url', undefined); return e.doc; })()",
     {"post": {"fields": {"a": "{{b}}"}}, "caps": {"leads": [{"limit": 5}]}}],
    ["bind.js", "(() => { const e = new m.Editor({a: {b: [{c: 1}]}}); return [e.get('a.b[0].c'), e.get('a.x.y') ?? null]; })()",
     [1, None]],
]


def module_checks(c):
    for module, expr, expected in MODULE_CASES:
        got = c.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"import(new URL('js/{module}', location.href).href).then(m => done(JSON.stringify({expr})))"
            ".catch(e => done('ERROR ' + e));")
        assert got is not None and not got.startswith("ERROR"), f"{module}: {expr}: {got}"
        assert json.loads(got) == expected, f"{module}: {expr}: got {got}, expected {json.dumps(expected)}"


def flow(c, s):
    d = c.d
    # ---- sign in (keyboard only), dashboard ------------------------------------------------
    c.sign_in_with_keyboard(ADMIN)
    self_check(c)
    module_checks(c)
    assert d.execute_script("return sessionStorage.getItem('pingpost.token')") == ADMIN
    assert d.execute_script("return document.cookie") == "", "the token must not be in a cookie"
    c.find("//figure//canvas", "dashboard chart")
    c.wait(lambda: d.execute_script("return !!window.Chart"), "Chart.js loaded")
    c.check_page("dashboard")
    # What the first visit downloaded (reported, not asserted: BENCHMARKS.md quotes it).
    sizes = d.execute_script("""
      const r = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'));
      const own = r.filter(e => e.name.includes('/console/'));
      return [own.length, own.reduce((s, e) => s + e.transferSize, 0), own.reduce((s, e) => s + e.decodedBodySize, 0)];""")
    d.refresh()
    c.find("//h2[normalize-space()='Buyer health']", "dashboard again")
    c.loaded()
    c.wait(lambda: d.execute_script(
        "return [...document.querySelectorAll('figure canvas')].every(c => window.Chart && Chart.getChart(c))"), "chart")
    ready_ms = d.execute_script("return Math.round(performance.now())")
    print(f"first visit: {sizes[0]} console files, {sizes[1]} bytes transferred ({sizes[2]} decoded); "
          f"a reload (files revalidated by ETag) shows the whole dashboard {ready_ms} ms after navigation")
    # Keyboard: Tab from the top reaches every main link in order.
    first = d.execute_script("return document.querySelector('a, button, input, select, textarea').textContent")
    assert first == "Skip to content", f"the first focusable element is the skip link, not {first!r}"
    d.execute_script("window.scrollTo(0, 0)")
    c.find("//span[@class='brand']").click()
    seen = []
    for _ in range(12):
        c.press(Keys.TAB)
        seen.append(d.switch_to.active_element.text.strip())
    for label in ["Dashboard", "Campaigns", "Leads", "Reports", "Change log", "Sign out"]:
        assert label in seen, f"Tab order misses {label}: {seen}"
    assert seen.index("Dashboard") < seen.index("Campaigns") < seen.index("Leads") < seen.index("Sign out"), seen

    # ---- campaigns list: search and tags --------------------------------------------------
    c.go("#/campaigns")
    c.find("//a[contains(., 'MVA (21624)')]", "campaign list")
    c.fill("Search", "solar")
    c.wait(lambda: "MVA (21624)" not in c.text() and "Solar Exchange" in c.text(), "search filters the list")
    c.fill("Search", "")
    c.choose("Tag", "mva")
    c.wait(lambda: "MVA (21624)" in c.text() and "Solar Exchange" not in c.text(), "tag filters the list")
    c.check_page("campaigns")

    # ---- a campaign: tabs by keyboard, overview, settings with a field error -----------------
    c.go(f"#/campaigns/{CAMPAIGN}")
    c.find("//h2[normalize-space()='Live state']", "campaign overview")
    c.check_page("campaign-overview")
    c.find("//button[@role='tab' and normalize-space()='Overview']").click()
    c.press(Keys.ARROW_RIGHT)
    c.wait(lambda: d.switch_to.active_element.text == "Suppliers" and
           d.switch_to.active_element.get_attribute("aria-selected") == "true", "arrow keys move between tabs")
    c.check_page("campaign-suppliers")
    c.tab("Settings").click()
    days = c.fill("Days", "0")
    c.fill("Public name", "MVA (console)")
    c.button("Save changes").click()
    c.wait(lambda: days.get_attribute("aria-invalid") == "true", "the days field is marked invalid")
    err = d.find_element(By.ID, days.get_attribute("id") + "-err").text
    assert "between" in err or "must" in err, f"error next to the field: {err!r}"
    c.check_page("campaign-settings-error", allowed_statuses=(400,))
    c.fill("Days", "30")
    c.button("Save changes").click()
    c.wait(lambda: s.call("GET", f"/admin/campaigns/{CAMPAIGN}")[1]["public_name"] == "MVA (console)",
           "settings saved through the admin API")
    c.check_page("campaign-settings-saved")
    c.tab("Fields").click()
    c.find("//legend[normalize-space()='Fields']", "fields form")
    c.check_page("campaign-fields")

    # ---- a supplier: price and a cap through the form; its specs page is linked --------------
    c.go(f"#/campaigns/{CAMPAIGN}/suppliers/{SUPPLIER}")
    c.find(f"//h1[contains(., '({SUPPLIER})')]", "supplier page")
    c.find("//a[normalize-space()='Supplier specs page' and contains(@href, '/api-specs?hash=')]", "specs link")
    c.fill("Amount", "6.25")
    c.fill("Lead cap 1 limit", "60")
    c.button("Save changes").click()
    c.wait(lambda: s.call("GET", f"/admin/campaigns/{CAMPAIGN}/suppliers/{SUPPLIER}")[1]["price"]["amount"] == "6.25",
           "the supplier's price saved")
    sup = s.call("GET", f"/admin/campaigns/{CAMPAIGN}/suppliers/{SUPPLIER}")[1]
    assert sup["caps"]["leads"][0]["limit"] == 60 and "lp_key_sha256" in sup, sup
    c.check_page("supplier")

    # ---- create a buyer: payload, mapping, preview, test ----------------------------------
    c.go(f"#/campaigns/{CAMPAIGN}?tab=buyers")
    c.button("Add a buyer").click()
    c.find("//h1[normalize-space()='New buyer']", "new buyer page")
    c.fill("Name", "Console Buyer")
    c.fill("Priority", "-5")
    url = c.fill("Post: URL", "ftp://nowhere.example/post")
    c.button("Add key").click()
    c.fill("Key 1", "first")
    c.fill("Template 1", "{{first_name}}")
    c.find("//summary[normalize-space()='Post: answer mapping']").click()
    c.fill("Post answer: buyer lead id", "lead_id")
    c.button("Create buyer").click()
    c.wait(lambda: url.get_attribute("aria-invalid") == "true", "the URL field is marked invalid")
    assert "http" in d.find_element(By.ID, url.get_attribute("id") + "-err").text
    c.check_page("buyer-new-error", allowed_statuses=(400,))
    assert 400 in c.statuses_seen, "the browser's log must show the refused save: is the log read at all?"
    c.fill("Post: URL", f"{s.base}/sandbox/post?price=33")
    preview = c.find("//pre[@aria-label='Post request']", "live preview")
    c.wait(lambda: f"/sandbox/post?price=33" in preview.text and '"first":"Jane"' in preview.text,
           "the preview renders the edited buyer for the sample lead")
    c.button("Send a test lead to this buyer").click()
    outcome = c.find("//dl[@aria-label='Post outcome']", "test outcome")
    c.wait(lambda: "accepted" in outcome.text and "sbx-" in outcome.text,
           "the test lead is accepted, its buyer lead id read by the mapping")
    c.find("//pre[@aria-label='Post response']", "test response")
    c.check_page("buyer-new-tested", allowed_statuses=(400,))
    c.button("Create buyer").click()
    c.wait(lambda: re.search(r"/buyers/\d+$", d.execute_script("return location.hash")), "created buyer page")
    buyer_id = int(re.search(r"/buyers/(\d+)$", d.execute_script("return location.hash")).group(1))
    c.find(f"//h1[contains(., '({buyer_id})')]", "the buyer's page")
    doc = s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1]
    assert doc["post"]["fields"] == {"first": "{{first_name}}"} and doc["priority"] == -5, doc
    assert doc["post_response"]["accepted"]["equals"] == ["accepted"], doc
    assert doc["post_response"]["lead_id"] == "lead_id", doc
    c.check_page("buyer-saved")

    # ---- a lead through the intake API, found in the list, its page and timeline ------------
    st, lead, _ = s.call("POST", "/direct_post", {
        "lp_campaign_id": CAMPAIGN, "lp_supplier_id": SUPPLIER, "lp_key": SUPPLIER_KEY, "first_name": "Consola",
        "last_name": "Browser", "email": "consola@example.com", "phone": "4103097989", "state": "NY",
        "zip_code": "10001"}, form=True)
    assert st == 200 and lead["status"] == "ACCEPTED", lead
    lead_id = lead["lead_id"]
    c.go("#/leads")
    c.button("Search").click()
    c.find(f"//a[normalize-space()='{lead_id}']", "the lead in the list").click()
    c.find(f"//h1[normalize-space()='Lead {lead_id}']", "lead page")
    c.find("//td[normalize-space()='delivery']", "timeline stages")
    c.find(f"//td[contains(., 'Console Buyer ({buyer_id})')]", "the buyer in the timeline")
    assert "Consola" in c.text()
    summary = c.find("//summary[starts-with(normalize-space(), 'Post: HTTP 200')]", "raw post exchange")
    summary.click()
    c.find("//pre[@aria-label='Post request' and contains(., 'sandbox/post?price=33')]", "raw post request")
    c.check_page("lead")
    # The return action.
    c.fill("Return reason", "Wrong number")
    c.button("Return lead").click()
    c.find("//dd[contains(., 'yes: Wrong number')]", "the lead shows as returned")
    c.check_page("lead-returned")

    # ---- pause the buyer from the campaign page ---------------------------------------------
    c.go(f"#/campaigns/{CAMPAIGN}?tab=overview")
    c.button(f"Pause buyer {buyer_id}").click()
    c.button(f"Resume buyer {buyer_id}")
    assert s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1].get("paused") is True
    c.check_page("campaign-paused")

    # ---- the change log: both changes with their diff; roll the pause back -----------------
    c.go("#/changes")
    pause_h = c.find(f"//h2[contains(., 'pause buyer {buyer_id}')]", "the pause in the change log")
    c.find(f"//h2[contains(., 'create buyer {buyer_id}')]", "the creation in the change log")
    article = pause_h.find_element(By.XPATH, "./ancestor::article")
    assert "paused" in article.text and "true" in article.text, article.text
    c.check_page("changes")
    rollback = article.find_element(By.XPATH, ".//button[starts-with(normalize-space(), 'Roll back this change')]")
    rollback.click()
    c.wait(lambda: rollback.text.startswith("Confirm"), "rollback asks for confirmation")
    rollback.click()
    c.find("//h2[contains(., 'rollback config')]", "the rollback as a new change")
    assert not s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1].get("paused"), "buyer live again"
    c.check_page("changes-rolled-back")

    # ---- a stale edit: 412 shown, the newer value kept --------------------------------------
    c.go(f"#/campaigns/{CAMPAIGN}/buyers/{buyer_id}")
    c.find(f"//h1[contains(., '({buyer_id})')]", "buyer page")
    c.fill("Name", "Stale edit")
    st, _, _ = s.call("PATCH", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}", {"name": "Changed elsewhere"})
    assert st == 200
    c.button("Save changes").click()
    c.find("//div[@role='alert' and contains(., 'Someone changed the configuration')]", "the 412 is shown")
    assert s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1]["name"] == "Changed elsewhere"
    c.check_page("buyer-stale-edit", allowed_statuses=(412,))
    c.button("Load the current version (drops these edits)").click()
    c.wait(lambda: c.control("Name").get_attribute("value") == "Changed elsewhere", "the current version loaded")

    # ---- reports ----------------------------------------------------------------------------
    c.go("#/reports")
    c.find("//figure//canvas", "report chart")
    c.find("//a[contains(., 'MVA')]", "campaign row")
    c.check_page("reports-campaigns")
    for tab_name in ["Suppliers", "Buyers", "Accounting"]:
        c.tab(tab_name).click()
        c.wait(lambda: d.find_element(By.XPATH, f"//button[@role='tab' and normalize-space()='{tab_name}']")
               .get_attribute("aria-selected") == "true", f"{tab_name} tab")
        c.find("//figure//canvas", f"{tab_name} chart")
        c.check_page("reports-" + tab_name.lower())
    c.tab("Campaigns").click()
    c.choose("Group by", "week")
    c.button("Show").click()
    c.find("//h3[normalize-space()='By week']", "weekly grouping")
    c.check_page("reports-weekly")
    c.go("#/")
    c.find("//h2[normalize-space()='Buyer health']", "dashboard")
    c.find(f"//a[contains(., '({buyer_id})')]", "the new buyer in buyer health")
    c.check_page("dashboard-after")
    # Pause and resume from the dashboard's buyer health.
    c.button(f"Pause buyer {buyer_id}").click()
    c.button(f"Resume buyer {buyer_id}")
    assert s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1].get("paused") is True
    c.button(f"Resume buyer {buyer_id}").click()
    c.button(f"Pause buyer {buyer_id}")
    assert not s.call("GET", f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}")[1].get("paused")
    c.check_page("dashboard-resumed")
    return buyer_id


def read_token(c, s, buyer_id):
    d = c.d
    c.sign_out()
    c.sign_in_with_keyboard(READ)
    c.go(f"#/campaigns/{CAMPAIGN}")
    c.find("//h2[normalize-space()='Live state']", "overview for a read token")
    c.loaded()
    assert not d.find_elements(By.XPATH, "//button[starts-with(normalize-space(), 'Pause buyer')]"), "no pause for read"
    c.check_page("read-campaign")
    c.go(f"#/campaigns/{CAMPAIGN}/buyers/{buyer_id}")
    c.find("//p[contains(., 'can read only')]", "read-only notice")
    assert not d.find_elements(By.XPATH, "//button[normalize-space()='Save changes']"), "no save for read"
    assert not d.find_elements(By.XPATH, "//button[normalize-space()='Send a test lead to this buyer']")
    assert not d.find_elements(By.XPATH, "//h2[normalize-space()='Live preview']"), "the test tool is not for read"

    assert c.control("Name").get_attribute("disabled") is not None, "inputs are disabled"
    c.check_page("read-buyer")
    # The API refuses a read token whatever the page shows.
    status = d.execute_async_script("""
      const done = arguments[arguments.length - 1];
      fetch(arguments[0], {method: 'PATCH', headers: {Authorization: 'Bearer ' + arguments[1]},
                           body: '{"priority": 3}'}).then(r => done(r.status));""",
                                    f"/admin/campaigns/{CAMPAIGN}/buyers/{buyer_id}", READ)
    assert status == 403, status
    c.check_console("read-refused", allowed_statuses=(403,))
    c.go("#/changes")
    c.find("//h2[starts-with(., 'Version')]", "change log for read")
    assert not d.find_elements(By.XPATH, "//button[starts-with(normalize-space(), 'Roll back')]"), "no rollback"
    c.check_page("read-changes")


def limited_token(c, s):
    d = c.d
    c.sign_out()
    c.sign_in_with_keyboard(LIMITED)
    c.check_page("limited-dashboard")
    nav = d.find_element(By.ID, "nav").text
    assert "Change log" not in nav, nav
    c.go("#/campaigns")
    c.find("//a[contains(., '(21624)')]", "its campaign")
    c.loaded()
    assert "Solar Exchange" not in c.text() and "One-To-One" not in c.text(), c.text()
    c.check_page("limited-campaigns")
    c.go("#/campaigns/21626")
    c.find("//div[@role='alert' or contains(@class,'alert')][contains(., 'not found')]", "another campaign is not found")
    c.check_page("limited-other-campaign", allowed_statuses=(404,))
    c.go("#/leads")
    c.button("Search").click()
    c.loaded()
    options = [o.text for o in c.control("Campaign").find_elements(By.TAG_NAME, "option")]
    assert all("21624" in o for o in options), options
    c.check_page("limited-leads")
    c.go("#/reports")
    c.find("//figure//canvas", "reports for a limited token")
    c.check_page("limited-reports")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pingpostd", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--shots", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.shots, ignore_errors=True)
    os.makedirs(a.shots)
    work = tempfile.mkdtemp(prefix="pp-console-")
    s = Server(a.pingpostd, a.config, work)
    c = None
    ok = False
    try:
        c = Console(s, a.shots)
        buyer_id = flow(c, s)
        read_token(c, s, buyer_id)
        limited_token(c, s)
        ok = not c.problems
        for p in c.problems:
            print("PROBLEM:", p)
    except Exception:
        traceback.print_exc()
        if c:
            for p in c.problems:
                print("PROBLEM:", p)
            try:
                c.shot("failure")
                print("page text:", c.text()[:2000])
            except Exception:
                pass
    finally:
        if c:
            c.d.quit()
        s.stop()
        if not ok:
            print(open(os.path.join(work, "pingpostd.log")).read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots: {a.shots} ({len(os.listdir(a.shots))} files)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
