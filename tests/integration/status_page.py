#!/usr/bin/python3
"""The status page of --listen in a real browser: Debian's chromium,
headless, driven by chromium-driver through python3-selenium. Run by
test_status_page.sh, which starts the fixture and healthtop:

    status_page.py PAGE_URL FIXTURE_URL WORK_DIR

Prints "ok - ..." or "FAIL - ..." a line, as the shell tests do, and
exits 1 when something failed. Every wait is on a condition, with a
generous deadline (WebDriverWait), never a fixed sleep and never a
bound on how long something took."""
import json
import sys
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

DEADLINE_S = 120
page_url, fixture_url, work = sys.argv[1:4]
origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(page_url))
fails = 0


def ok(what):
    print("ok - " + what, flush=True)


def fail(what):
    global fails
    fails += 1
    print("FAIL - " + what, flush=True)


def check(what, cond, seen=""):
    if cond:
        ok(what)
    else:
        fail(what + (": saw " + str(seen) if seen != "" else ""))


def wait_for(what, cond):
    """Waits for cond(driver) to hold; fails with what the page shows."""
    try:
        WebDriverWait(driver, DEADLINE_S, poll_frequency=0.1).until(cond)
        ok(what)
        return True
    except TimeoutException:
        fail(what + " (not within %ds); the rows read:\n%s" % (DEADLINE_S, rows_text()))
        return False


# The page renders its rows again from every event, so a row is read in
# one script call (an element found earlier may be gone by the next call).


def row(name):
    return driver.execute_script(
        "var name = arguments[0], r = Array.prototype.find.call("
        "document.querySelectorAll('tr.svc'), function (r) {"
        " return r.getAttribute('data-name') === name; });"
        "return r ? {cls: r.className, text: r.innerText,"
        " state: r.querySelector('.state').innerText,"
        " msg: r.querySelector('.msg').innerText} : null;", name)


def rows_text():
    try:
        return "\n".join("    | " + t for t in driver.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('tr.svc'),"
            " function (r) { return r.innerText; });"))
    except Exception as e:  # the page may be gone: say so rather than hide the failure
        return "    | (rows unreadable: %s)" % e


def row_state(name):
    r = row(name)
    return r["cls"] if r else ""


def fixture(path):
    urllib.request.urlopen(fixture_url + path, timeout=30).read()


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--user-data-dir=" + work + "/chromium-profile", "--no-first-run",
          "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-extensions", "--window-size=1200,900"):
    opts.add_argument(a)
# Every request the page makes, from the browser's own network log.
opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver",
                                          log_path=work + "/chromedriver.log"), options=opts)
try:
    driver.set_page_load_timeout(DEADLINE_S)
    driver.get(page_url)

    # The rows are there, from the page as served.
    wait_for("a row per service", lambda d: row("api") and row("inject") and row("hostile"))
    check("the title", "Page Test" in driver.title, driver.title)
    # The script connected and rendered from an event.
    wait_for("the page is live (its event stream is open)",
             lambda d: d.find_element(By.ID, "live").text.startswith("live"))
    # A marker the page keeps only as long as it is not reloaded.
    driver.execute_script("window.__notReloaded = 42;")
    wait_for("api is healthy", lambda d: "st-healthy" in row_state("api"))

    # Stop the service in the fixture: the row turns unhealthy without a
    # reload (the marker is still there).
    fixture("/control/down")
    wait_for("api turns unhealthy on the page", lambda d: "st-unhealthy" in row_state("api"))
    r = row("api")
    check("its state reads as a mark and a word",
          r is not None and r["state"].strip() == "\u2717 unhealthy", r)
    check("without a reload", driver.execute_script("return window.__notReloaded;") == 42)
    wait_for("the overall state says unhealthy",
             lambda d: d.find_element(By.ID, "overall-word").text.lower() == "unhealthy")
    fixture("/control/up")
    wait_for("api is healthy again", lambda d: "st-healthy" in row_state("api"))
    check("still without a reload", driver.execute_script("return window.__notReloaded;") == 42)

    # Injected markup in a probe's message and in a label: shown as text,
    # never run. The flags would be set by the injected code.
    wait_for("the injected message is shown",
             lambda d: row("inject") and "<script>" in row("inject")["msg"])
    msg = row("inject")["msg"]
    check("the <script> in a probe's message shows literally",
          "<script>window.pwned=1</script>" in msg, msg)
    check("the <img onerror> in a label shows literally",
          "<img src=x onerror=window.pwned=2>" in row("hostile")["text"], row("hostile"))
    check("no injected code ran",
          driver.execute_script("return typeof window.pwned;") == "undefined",
          driver.execute_script("return String(window.pwned);"))
    check("the page holds its own script element only",
          driver.execute_script("return document.scripts.length;") == 1)
    check("and no image element",
          driver.execute_script("return document.images.length;") == 0)

    # The timeline, a second view behind its anchor.
    driver.find_element(By.CSS_SELECTOR, "a[href='#timeline']").click()
    wait_for("the timeline view shows", lambda d: d.find_element(By.ID, "timeline").is_displayed())
    check("and the services hide", not driver.find_element(By.ID, "services").is_displayed())
    check("the timeline has a row per service",
          len(driver.find_elements(By.CSS_SELECTOR, "#tl-rows tr")) == 3)
    driver.find_element(By.CSS_SELECTOR, "a[href='#services']").click()
    wait_for("back to the services", lambda d: d.find_element(By.ID, "services").is_displayed())

    # prefers-color-scheme: the background follows it.
    def background():
        return driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor;")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "light"}]})
    light = background()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = background()
    check("the colours follow prefers-color-scheme", light != dark, light + " / " + dark)

    # No request to any other origin: the browser's resource timing and
    # its network log, both of which must have seen this page's requests.
    res = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    check("resource timing: every resource from the page's origin",
          all(u.startswith(origin + "/") for u in res), res)
    # The browser's own pages (its new tab) are in the log too: what this
    # page asked for is what names it as the document.
    urls, csp = [], None
    for entry in driver.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        p = m["params"]
        if m["method"] == "Network.requestWillBeSent" and \
                p.get("documentURL", "").startswith(origin + "/"):
            urls.append(p["request"]["url"])
        if m["method"] == "Network.responseReceived" and p["type"] == "Document" and \
                p["response"]["url"] == page_url:
            h = {k.lower(): v for k, v in p["response"]["headers"].items()}
            csp = h.get("content-security-policy")
    check("the network log saw the page and its stream",
          page_url in urls and any("/api/v1/events" in u for u in urls), urls)
    check("the network log: no request to another origin",
          all(u.startswith(origin + "/") for u in urls), urls)
    check("the page came with a policy that forbids other origins",
          csp is not None and csp.startswith("default-src 'none';") and
          "connect-src 'self'" in csp, csp)
    errors = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    check("the console has no errors (no blocked inline code)", not errors, errors)
finally:
    driver.quit()

sys.exit(1 if fails else 0)
