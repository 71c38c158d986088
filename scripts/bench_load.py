#!/usr/bin/env python3
"""The load benchmark and the browser figures, against a release jotpass.

Starts the release server on a fresh SQLite database and, beside it, the bare
Axum baseline (bench/baseline: no database, no middleware), both on loopback,
both pinned to core 0 with the load generator (wrk) pinned to core 1. Then in
alternating rounds measures with wrk:
  H  bare GET /hello     a fixed JSON body: the floor of any Axum server
  M  bare GET /api/me    jsonwebtoken HS256 verify of x-access-token, fixed user
  A  GET /livez          unauthenticated JSON, the cheapest route of jotpass
  B  GET /api/me         with a valid token (signature, claims, session check)
  C  GET /api/me         while 8 clients log in continuously (Argon2id storm;
                         one of them with TOTP on: the password, then the code)
and reports medians over the rounds and the ratios the targets are about, the
resident memory of both servers after the load, and the cold start of each
(process start to the first 200, median of 10, each jotpass start on a fresh
data directory). Then the release .wasm size (raw, gzip -9) and the time to a
hydrated login page in headless Chromium. Machines here are shared and noisy:
read the ratios, and the medians of several rounds, not any single figure.

Usage: scripts/bench_load.py   (scripts/bench builds the release first)
Env: BENCH_ROUNDS (default 5), BENCH_SECONDS per measurement (default 5),
BENCH_BIN and BENCH_BARE (the two binaries; default target/release/).
"""

import base64
import gzip
import hashlib
import hmac
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Other builds can be compared by pointing these at them.
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "jotpass"))
BARE = os.environ.get("BENCH_BARE", os.path.join(ROOT, "target", "release", "bare"))
SITE = os.path.join(ROOT, "target", "site")
WASM = os.path.join(SITE, "pkg", "jotpass.wasm")
PORT = int(os.environ.get("BENCH_PORT", "3200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
BARE_PORT = PORT + 100
BASE = f"http://127.0.0.1:{PORT}"
BARE_BASE = f"http://127.0.0.1:{BARE_PORT}"
# Servers on core 0, the load generator on core 1 (when there are two).
PINNED = os.cpu_count() >= 2 and shutil.which("taskset") is not None
SERVER_CPU = ["taskset", "-c", "0"] if PINNED else []
LOAD_CPU = ["taskset", "-c", "1"] if PINNED else []
PASSWORD = "correct horse battery staple"


def call_json(path, body, token=None, timeout=30):
    """POST `body`: (status, JSON answer), for error answers too."""
    headers = {"content-type": "application/json"}
    if token:
        headers["x-access-token"] = token
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def post_json(path, body, token=None):
    status, answer = call_json(path, body, token)
    if status >= 300:
        sys.exit(f"POST {path} answered {status}: {answer}")
    return answer


def totp_code(secret, at):
    """RFC 6238, 6 digits, 30 s steps, for a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, (int(at) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


# Second-factor logins in the storm: this many users with TOTP on, each
# logging in at most once per 30 s step (a code works once).
TOTP_USERS = 16


def totp_users():
    """The TOTP users, and the (user, step) pairs whose code is spent."""
    users, used = [], set()
    for i in range(TOTP_USERS):
        creds = {"username": f"totp{i}", "password": PASSWORD}
        post_json("/api/users", creds)
        token = post_json("/api/auth/token", creds)["token"]
        secret = post_json("/api/me/totp", {"password": PASSWORD}, token)["secret"]
        now = time.time()
        post_json("/api/me/totp/confirm", {"code": totp_code(secret, now)}, token)
        users.append((creds["username"], secret))
        used.add((creds["username"], int(now) // 30))
    return users, used


class SecondFactorLogins(threading.Thread):
    """One of the storm's eight clients: the password step, then the TOTP
    step, one login after another through `users` (on the load generator's
    core)."""

    def __init__(self, users, used):
        super().__init__(daemon=True)
        self.users, self.used = users, used
        self.stop = threading.Event()
        self.done = self.failed = 0

    def run(self):
        if PINNED:
            os.sched_setaffinity(0, {1})
        while not self.stop.is_set():
            step = int(time.time()) // 30
            user = next((u for u in self.users if (u[0], step) not in self.used), None)
            if user is None:
                self.stop.wait(0.2)
                continue
            self.used.add((user[0], step))
            try:
                status, refused = call_json("/api/auth/token", {"username": user[0], "password": PASSWORD})
                if status != 401 or refused["error"] != "mfa_required":
                    self.failed += 1
                    continue
                # The code of the step booked above, not of the clock now:
                # the password step can take over a second in the storm, and
                # a code of the next step would spend that step (the server
                # refuses a step at or before the last one used), which
                # this client would then try again.
                body = {"mfa_token": refused["mfa_token"], "code": totp_code(user[1], step * 30)}
                status, _ = call_json("/api/auth/mfa", body)
                if status == 200:
                    self.done += 1
                else:
                    self.failed += 1
            except OSError:
                self.failed += 1


def wait_until_up(proc, url):
    """Polls `url` every millisecond until its first 200 (at most 20 s)."""
    started = time.monotonic()
    while time.monotonic() - started < 20:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.001)
    sys.exit(f"the server at {url} did not start")


def jotpass_env(tmp):
    return {
        "PATH": os.environ["PATH"],
        "LEPTOS_SITE_ADDR": f"127.0.0.1:{PORT}",
        "LEPTOS_SITE_ROOT": SITE,
        "DATABASE_URL": f"sqlite://{tmp}/bench.db",
        "JOTPASS_DATA_DIR": f"{tmp}/data",
        # The storm logs in successfully; limits count failures only.
        # Registrations: the bench user and the TOTP users.
        "JOTPASS_REGISTER_LIMIT": "100/1h",
        # The request log stays on, as deployed.
        "RUST_LOG": "info",
        # glibc's allocator settings pass through, to compare them.
        **{k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
    }


def start_jotpass(tmp):
    return subprocess.Popen(SERVER_CPU + [BIN], env=jotpass_env(tmp),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_bare():
    env = {"PATH": os.environ["PATH"], "BARE_ADDR": f"127.0.0.1:{BARE_PORT}"}
    return subprocess.Popen(SERVER_CPU + [BARE], env=env, stdout=subprocess.PIPE, text=True)


def rss_mib(proc):
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_split(proc):
    """The process's (user, system) CPU time so far, in clock ticks."""
    with open(f"/proc/{proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def cpu_ticks(proc):
    return sum(cpu_split(proc))


TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def wait_until_idle(proc, quiet=0.5, limit=10):
    """Until `proc` has used no CPU for `quiet` seconds (at most `limit` s)."""
    started = time.monotonic()
    last = cpu_ticks(proc)
    while time.monotonic() - started < limit:
        time.sleep(quiet)
        now = cpu_ticks(proc)
        if now == last:
            return
        last = now


def cold_starts(start, url, stop_after=10):
    """Process start to the first 200 of `url`, `stop_after` times: ms each."""
    times = []
    for _ in range(stop_after):
        started = time.monotonic()
        proc = start()
        try:
            wait_until_up(proc, url)
            times.append((time.monotonic() - started) * 1000)
        finally:
            proc.terminate()
            proc.wait()
    return times


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text):
    def latency(pct):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": errors,
        "requests": int(total.group(1)) if total else 0,
    }


def wrk_cmd(path, script=None, connections=16, seconds=SECONDS, base=BASE):
    cmd = LOAD_CPU + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    return cmd + [base + path]


def wrk(path, script=None, base=BASE, server=None):
    """One measurement; with `server`, also its CPU time per request
    (user and system, microseconds): where a slower server spends it."""
    before = cpu_split(server) if server else None
    out = subprocess.run(wrk_cmd(path, script, base=base), capture_output=True, text=True, check=True)
    row = parse_wrk(out.stdout)
    if server and row["requests"]:
        after = cpu_split(server)
        row["user_us"] = (after[0] - before[0]) * TICK_US / row["requests"]
        row["sys_us"] = (after[1] - before[1]) * TICK_US / row["requests"]
    return row


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    for path in (BIN, BARE):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run scripts/bench (it builds the release)")
    tmp = tempfile.mkdtemp(prefix="jotpass-bench-")
    server = start_jotpass(tmp)
    bare = start_bare()
    try:
        wait_until_up(server, BASE + "/livez")
        wait_until_up(bare, BARE_BASE + "/hello")
        bare_token = bare.stdout.readline().split()[1]
        bare_lua = os.path.join(tmp, "bare.lua")
        with open(bare_lua, "w") as f:
            f.write(f'wrk.headers["x-access-token"] = "{bare_token}"\n')
        creds = {"username": "bench", "password": PASSWORD}
        post_json("/api/users", creds)
        token = post_json("/api/auth/token", creds)["token"]

        me_lua = os.path.join(tmp, "me.lua")
        with open(me_lua, "w") as f:
            f.write(f'wrk.headers["x-access-token"] = "{token}"\n')
        second_factor_users, used_steps = totp_users()
        login_lua = os.path.join(tmp, "login.lua")
        with open(login_lua, "w") as f:
            f.write('wrk.method = "POST"\n')
            f.write('wrk.headers["content-type"] = "application/json"\n')
            f.write(f"wrk.body = '{json.dumps(creds)}'\n")

        rows = {"hello": [], "bare_me": [], "livez": [], "me": [], "me_storm": [], "storm": [],
                "storm_mfa": []}
        for i in range(ROUNDS):
            rows["hello"].append(wrk("/hello", base=BARE_BASE, server=bare))
            rows["bare_me"].append(wrk("/api/me", bare_lua, base=BARE_BASE, server=bare))
            rows["livez"].append(wrk("/livez", server=server))
            rows["me"].append(wrk("/api/me", me_lua, server=server))
            # 8 clients: 7 password logins (wrk), 1 with the TOTP step too.
            storm = subprocess.Popen(
                wrk_cmd("/api/auth/token", login_lua, connections=7, seconds=SECONDS + 2),
                stdout=subprocess.PIPE,
                text=True,
            )
            second_factor = SecondFactorLogins(second_factor_users, used_steps)
            second_factor.start()
            time.sleep(1)
            rows["me_storm"].append(wrk("/api/me", me_lua))
            rows["storm"].append(parse_wrk(storm.communicate()[0]))
            second_factor.stop.set()
            second_factor.join()
            rows["storm_mfa"].append({"done": second_factor.done, "failed": second_factor.failed})
            print(f"round {i + 1}/{ROUNDS} done", file=sys.stderr)
        # After the load: once the server has answered what it had accepted
        # (logins queued for Argon2 when wrk stopped), i.e. its CPU is quiet.
        wait_until_idle(server)
        rss = {"bare": rss_mib(bare), "jotpass": rss_mib(server)}

        browser = subprocess.run(
            ["node", os.path.join(ROOT, "end2end", "bench", "pages.mjs"), BASE, "9"],
            capture_output=True,
            text=True,
            cwd=os.path.join(ROOT, "end2end"),
            check=True,
        )
        pages = json.loads(browser.stdout)
    finally:
        for proc in (server, bare):
            proc.terminate()
            proc.wait()

    def fresh_jotpass():
        return start_jotpass(tempfile.mkdtemp(prefix="jotpass-cold-", dir=tmp))

    cold = {
        "bare": cold_starts(start_bare, BARE_BASE + "/hello"),
        "jotpass": cold_starts(fresh_jotpass, BASE + "/livez"),
    }

    with open(WASM, "rb") as f:
        wasm = f.read()
    wasm_gz = len(gzip.compress(wasm, 9))

    storm_mfa = rows.pop("storm_mfa")
    second_factor = {f: sum(r[f] for r in storm_mfa) for f in ("done", "failed")}
    m = {k: {f: median(v, f) for f in ("rps", "p50_ms", "p99_ms", "user_us", "sys_us") if f in v[0]}
         for k, v in rows.items()}
    errors = {k: sum(r["errors"] for r in v) for k, v in rows.items()}
    ratios = {
        "me_vs_bare_me_throughput": m["me"]["rps"] / m["bare_me"]["rps"],
        "livez_vs_hello_throughput": m["livez"]["rps"] / m["hello"]["rps"],
        "me_vs_bare_me_p99": m["me"]["p99_ms"] / m["bare_me"]["p99_ms"],
        "me_vs_livez_throughput": m["me"]["rps"] / m["livez"]["rps"],
        "me_vs_livez_p99": m["me"]["p99_ms"] / m["livez"]["p99_ms"],
        "me_storm_vs_me_p99": m["me_storm"]["p99_ms"] / m["me"]["p99_ms"],
    }
    print()
    pinning = "servers on core 0, wrk on core 1" if PINNED else "not pinned"
    print(f"jotpass load benchmark: {os.cpu_count()} cores, {pinning}, {ROUNDS} alternating rounds "
          f"of {SECONDS} s, wrk -t1 -c16 (storm: wrk -c7 and one TOTP client), medians")
    print(f"{'route':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
          f"{'user us/req':>13}{'sys us/req':>12}")
    names = {
        "hello": "H bare GET /hello",
        "bare_me": "M bare GET /api/me (HS256)",
        "livez": "A GET /livez (no auth)",
        "me": "B GET /api/me (token)",
        "me_storm": "C GET /api/me during login storm",
        "storm": "  the storm: POST /api/auth/token",
    }
    for key, name in names.items():
        r = m[key]
        cpu = f"{r['user_us']:>13.2f}{r['sys_us']:>12.2f}" if "user_us" in r else ""
        print(f"{name:<34}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{errors[key]:>8}{cpu}")
    print(f"  and its second-factor logins (password, then TOTP): {second_factor['done']} done, "
          f"{second_factor['failed']} failed, over all rounds")
    print()
    print(f"B/M throughput   {ratios['me_vs_bare_me_throughput']:.2f}   (target >= 0.7)")
    print(f"A/H throughput   {ratios['livez_vs_hello_throughput']:.2f}   (target >= 0.8)")
    print(f"B/M p99          {ratios['me_vs_bare_me_p99']:.2f}   (target <= 1.5)")
    print(f"RSS after load   jotpass {rss['jotpass']:.1f} MiB, bare {rss['bare']:.1f} MiB   (target <= 25 MiB)")
    for name, times in cold.items():
        print(f"cold start       {name}: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
              f"of {len(times)} (to the first 200{', fresh data dir' if name == 'jotpass' else ''})"
              f"   (target: median <= 50 ms, none > 200 ms)")
    print(f"B/A throughput   {ratios['me_vs_livez_throughput']:.2f}   (target >= 0.85)")
    print(f"B/A p99          {ratios['me_vs_livez_p99']:.2f}   (target <= 2)")
    print(f"C/B p99          {ratios['me_storm_vs_me_p99']:.2f}   (target <= 2, and C errors = 0)")
    print(f"release wasm     {len(wasm) / 1024:.0f} KiB raw, {wasm_gz / 1024:.0f} KiB gzip -9 "
          f"(browsers get the brotli file: see the page weight below)")
    print()
    print("page weight, cold cache, everything fetched until hydrated (compressed, as received)")
    for name, page in pages["weight"].items():
        target = "   (target <= 200 KB, stretch 150 KB)" if name == "login" else ""
        print(f"  /{name:<10}{page['bytes'] / 1000:>8.1f} KB in {len(page['resources'])} requests{target}")
        for r in sorted(page["resources"], key=lambda r: -r["bytes"]):
            print(f"      {r['bytes'] / 1000:>8.1f} KB  {r['url'][:70]}")
    for rate, h in pages["hydration"].items():
        target = "   (target <= 500 ms)" if rate == "cpu_1x" else ""
        print(f"hydrated login   {h['median_hydrated_ms']:.0f} ms median of {pages['loads']} cold loads, "
              f"CPU {rate.removeprefix('cpu_')} (DOMContentLoaded {h['median_dom_content_loaded_ms']:.0f} ms){target}")

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "rounds": ROUNDS,
        "seconds": SECONDS,
        "medians": m,
        "errors": errors,
        "ratios": ratios,
        "rss_mib": rss,
        "storm_second_factor_logins": second_factor,
        "cold_start_ms": cold,
        "wasm_bytes": len(wasm),
        "wasm_gzip_bytes": wasm_gz,
        "pages": pages,
        "raw": rows,
    }
    os.makedirs(os.path.join(ROOT, "target", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "target", "bench", "latest.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
