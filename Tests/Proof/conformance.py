#!/usr/bin/python3
"""API conformance: schemathesis against Schemas/openapi.yaml on a live `madoguchi serve`.

    MADOGUCHI_BIN=$(swift build --show-bin-path)/madoguchi /usr/bin/python3 Tests/Proof/conformance.py [SIZE]

SIZE is `ci` (the default, a couple of minutes), `proof` (the long run), or a number: test cases generated per
operation and phase (schemathesis --max-examples).

A migrated temp database gets the demo data; the server runs in production naming (`__Host-madoguchi`) on a
loopback port, and schemathesis runs every operation with every default check, once per identity:
  guest     no credentials
  resident  the demo resident's session (POST /api/v1/sessions) through the spec's sessionCookie scheme, and
            its CSRF token in X-CSRF-Token
  staff     the demo admin's console session (/staff/login) the same way; admin, so template edits are reached
Signing out (DELETE /api/v1/sessions/current) would end the resident's session mid-run, so it runs last, on its
own. Then the server restarts with `--dev` and the resident and staff read operations run once more through the
spec's sessionCookieDev scheme, so both cookie names a client may meet are known to work as described.

Schemathesis comes from PyPI, pinned in Tests/Proof/requirements.txt, installed into a virtualenv under
.build/proof-venv made with /usr/bin/python3 -m venv (Debian's python3-venv). When the pin is already installed
there, nothing is fetched.

Prints one summary line and `PROOF {"check": "conformance", ...}`; exits 0 only with 0 failures.
"""

import hashlib
import http.client
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "Schemas"
SPEC = SCHEMAS / "openapi.yaml"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
# The checked-in settings (the few per-operation widenings, each with its reason); credentials are appended.
BASE_CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
VENV = REPO / ".build" / "proof-venv"
# Only what this check needs from the shared requirements file: other checks may pin packages of their own.
PACKAGES = {"schemathesis"}
SIGN_OUT = ("DELETE", "/api/v1/sessions/current")
# CI size. The coverage phase (boundary values, wrong types, missing and oversized fields) does not depend on
# max_examples; the fuzzing phase does, and took 35% of the CI run at 12 cases per operation (2026-12-02: 318 of
# 903 s on a loaded host), while its extra cases found nothing (0 failures over 52 operations at 12 and at 6).
# `make proof` keeps 150.
SIZES = {"ci": 6, "proof": 150}
# Fixed, so a CI failure reproduces with the same command; `proof` runs vary it with the size.
SEED = 20260415


class HarnessFailure(Exception):
    """A step of the harness itself failed (install, start-up, sign-in): the check cannot say pass or fail."""


# MARK: Schemathesis in its virtualenv


def pinned_requirements():
    lines = []
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        name = re.split(r"[=<>!~\[ ;]", requirement, maxsplit=1)[0].lower()
        if requirement and name in PACKAGES:
            lines.append(requirement)
    if not lines:
        raise HarnessFailure(f"{REQUIREMENTS} pins none of {sorted(PACKAGES)}")
    return lines


def ensure_schemathesis():
    """The schemathesis executable, installing the pin into the virtualenv only when it is not there yet."""
    requirements = pinned_requirements()
    stamp = VENV / ".conformance-requirements"
    wanted = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    executable = VENV / "bin" / "schemathesis"
    if executable.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return executable
    if not (VENV / "bin" / "python").exists():
        created = subprocess.run(["/usr/bin/python3", "-m", "venv", str(VENV)], capture_output=True, text=True)
        if created.returncode != 0:
            raise HarnessFailure(
                f"/usr/bin/python3 -m venv failed (is Debian's python3-venv installed?): {created.stderr.strip()}")
    installed = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *requirements],
        capture_output=True, text=True)
    if installed.returncode != 0:
        raise HarnessFailure(f"pip install {' '.join(requirements)} failed: {installed.stderr.strip()[-2000:]}")
    stamp.write_text(wanted + "\n")
    return executable


# MARK: The server


def binary():
    path = os.environ.get("MADOGUCHI_BIN", "")
    if not path or not os.access(path, os.X_OK):
        print('set MADOGUCHI_BIN to the built binary, e.g. MADOGUCHI_BIN="$(swift build --show-bin-path)/madoguchi"',
              file=sys.stderr)
        sys.exit(2)
    return path


def child_environment():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MADOGUCHI_")}
    environment["LC_ALL"] = "C.UTF-8"
    return environment


def run_cli(*arguments):
    result = subprocess.run([binary(), *map(str, arguments)], cwd=REPO, env=child_environment(),
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise HarnessFailure(f"madoguchi {arguments[0]} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def prepare_database(folder):
    """A migrated database with the demo data; returns (path, {"admin"|"resident": (login, password)})."""
    database = folder / "madoguchi.sqlite"
    options = ["--db", database, "--schemas", SCHEMAS]
    run_cli("migrate", *options)
    output = run_cli("demo-data", "--dev", *options)
    accounts = {}
    for kind, label in (("admin", "staff admin"), ("resident", "resident")):
        match = re.search(rf"^\s*{label}\s+\S+\s+login:\s*(\S+)\s+password:\s*(\S+)", output, re.MULTILINE)
        if match is None:
            raise HarnessFailure(f"demo-data printed no {label} line:\n{output}")
        accounts[kind] = (match.group(1), match.group(2))
    return database, accounts


class Server:
    """`madoguchi serve` on a free loopback port (port 0), its JSON log in a file."""

    LISTENING = re.compile(r"madoguchi listening on (http://127\.0\.0\.1:\d+)")

    def __init__(self, database, log_path, development):
        self.database, self.log_path, self.development = database, log_path, development
        self.process = None
        self.base_url = None

    def __enter__(self):
        arguments = [binary(), "serve", "--listen", "127.0.0.1:0", "--payments-sandbox", "--db", str(self.database),
                     "--schemas", str(SCHEMAS), "--log-level", "warning"]
        if self.development:
            arguments.append("--dev")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(arguments, cwd=REPO, env=child_environment(), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=log)
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        line = self.process.stdout.readline().decode(errors="replace").strip() if ready else ""
        match = self.LISTENING.fullmatch(line)
        if match is None:
            self.process.kill()
            self.process.wait()
            raise HarnessFailure(f"serve did not start ({line!r}):\n{self.log_path.read_text()[-2000:]}")
        # Nothing else is expected on stdout, but a full pipe must never stall the server.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.base_url = match.group(1)
        return self

    def __exit__(self, *_):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def session_cookie(self):
        return "madoguchi" if self.development else "__Host-madoguchi"


# MARK: Signing in over plain HTTP


def request(base_url, method, path, body=None, headers=None):
    """One request on a fresh connection; returns (status, [(header, value)], body text)."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        connection.close()


def cookie_value(headers, name):
    for header, value in headers:
        if header.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def sign_in_resident(server, login, password):
    """POST /api/v1/sessions; returns (session cookie value, CSRF token)."""
    status, headers, text = request(
        server.base_url, "POST", "/api/v1/sessions", json.dumps({"login_id": login, "password": password}),
        {"Content-Type": "application/json"})
    session = cookie_value(headers, server.session_cookie)
    if status != 201 or session is None:
        raise HarnessFailure(f"resident sign-in answered {status}: {text[:300]}")
    return session, json.loads(text)["csrf_token"]


def sign_in_staff(server, login, password):
    """The console's /staff/login form, then GET /api/v1/staff/session for the CSRF token."""
    pre_cookie = server.session_cookie + "-pre"
    status, headers, page = request(server.base_url, "GET", "/staff/login")
    nonce = cookie_value(headers, pre_cookie)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or nonce is None or form_token is None:
        raise HarnessFailure(f"GET /staff/login answered {status} without its pre-session cookie or form token")
    body = urllib.parse.urlencode({"csrf_token": form_token.group(1), "login_id": login, "password": password})
    status, headers, text = request(
        server.base_url, "POST", "/staff/login", body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{pre_cookie}={nonce}"})
    session = cookie_value(headers, server.session_cookie)
    if status != 303 or session is None:
        raise HarnessFailure(f"staff sign-in answered {status}")
    status, _, text = request(server.base_url, "GET", "/api/v1/staff/session",
                              headers={"Cookie": f"{server.session_cookie}={session}"})
    if status != 200:
        raise HarnessFailure(f"GET /api/v1/staff/session answered {status}")
    return session, json.loads(text)["csrf_token"]


def session_alive(server, credentials):
    """Whether the resident's session still answers GET /api/v1/me; the run reports it."""
    status, _, _ = request(server.base_url, "GET", "/api/v1/me",
                          headers={"Cookie": f"{server.session_cookie}={credentials[0]}"})
    print(f"conformance: resident session after the resident run: {status}", file=sys.stderr)
    return status == 200


# MARK: One schemathesis run


def run_schemathesis(executable, folder, server, identity, examples, seed, credentials=None, select_args=()):
    """Runs every default check for one identity; returns its figures."""
    label = f"{identity}-dev" if server.development else identity
    config = folder / f"{label}.toml"
    scheme = "sessionCookieDev" if server.development else "sessionCookie"
    lines = [BASE_CONFIG.read_text()]
    if credentials:
        # OpenAPI-aware: the cookie goes only to operations whose security names this scheme, and the
        # ignored_auth check can take it away to see the operation refuse.
        lines += [f"[auth.openapi.{scheme}]", f"api_key = {json.dumps(credentials[0])}"]
    config.write_text("\n".join(lines) + "\n")
    report = folder / f"{label}-report"
    # One worker: with two threads, CPython 3.11's AST constructor is not thread-safe (gh-106905) and
    # schemathesis' coverage phase failed once with "SystemError: AST constructor recursion depth mismatch", a
    # harness crash that failed CI with the server blameless.
    arguments = [
        str(executable), "--config-file", str(config), "run", str(SPEC), "--url", server.base_url,
        "--max-examples", str(examples), "--seed", str(seed), "--workers", "1",
        "--generation-database", "none", "--request-timeout", "15", "--no-color",
        "--report", "junit", "--report-dir", str(report), *select_args,
    ]
    if credentials:
        arguments += ["--header", f"X-CSRF-Token: {credentials[1]}"]
    began = time.monotonic()
    result = subprocess.run(arguments, cwd=folder, capture_output=True, text=True,
                            env={**child_environment(), "SCHEMATHESIS_HOOKS": ""})
    seconds = time.monotonic() - began
    (folder / f"{label}.out").write_text(result.stdout + result.stderr)
    figures = {"identity": label, "exit": result.returncode, "seconds": round(seconds, 1),
               **junit_figures(report)}
    return figures, result.stdout + result.stderr


def junit_figures(report):
    """Operations and failures from schemathesis's JUnit report (one testcase per operation)."""
    files = sorted(report.glob("junit*.xml"))
    if not files:
        return {"operations": 0, "failed_operations": 0, "errored_operations": 0}
    text = files[-1].read_text()
    cases = re.findall(r"<testcase\b[^>]*?(?:/>|>.*?</testcase>)", text, re.DOTALL)
    return {
        "operations": len(cases),
        "failed_operations": sum(1 for case in cases if "<failure" in case),
        "errored_operations": sum(1 for case in cases if "<error" in case),
    }


def test_case_count(output):
    match = re.search(r"(\d+) generated", output)
    return int(match.group(1)) if match else 0


def main(argv):
    size = argv[1] if len(argv) > 1 else "ci"
    if size in SIZES:
        examples = SIZES[size]
    elif size.isdigit() and int(size) > 0:
        examples = int(size)
    else:
        print("usage: conformance.py [ci|proof|EXAMPLES_PER_OPERATION]", file=sys.stderr)
        return 64
    seed = SEED if size == "ci" else SEED + examples
    began = time.monotonic()
    executable = ensure_schemathesis()
    folder = Path(tempfile.mkdtemp(prefix="madoguchi-conformance-"))
    runs, outputs = [], []
    try:
        database, accounts = prepare_database(folder)
        # The sign-out is the only operation at its path.
        sign_out_only = ["--include-path", SIGN_OUT[1]]
        all_but_sign_out = ["--exclude-path", SIGN_OUT[1]]
        with Server(database, folder / "serve.log", development=False) as server:
            resident = sign_in_resident(server, *accounts["resident"])
            staff = sign_in_staff(server, *accounts["admin"])
            for identity, credentials, selection in (
                ("guest", None, ()),
                ("resident", resident, all_but_sign_out),
                ("staff", staff, ()),
                ("resident-sign-out", None, sign_out_only),
            ):
                if identity == "resident-sign-out":
                    credentials = session_alive(server, resident) and resident
                figures, output = run_schemathesis(executable, folder, server, identity, examples, seed,
                                                   credentials, selection)
                figures["test_cases"] = test_case_count(output)
                runs.append(figures)
                outputs.append(output)
        with Server(database, folder / "serve-dev.log", development=True) as server:
            resident = sign_in_resident(server, *accounts["resident"])
            staff = sign_in_staff(server, *accounts["admin"])
            for identity, credentials in (("resident", resident), ("staff", staff)):
                figures, output = run_schemathesis(executable, folder, server, identity, max(2, examples // 4),
                                                   seed, credentials, ["--include-method", "GET"])
                figures["test_cases"] = test_case_count(output)
                runs.append(figures)
                outputs.append(output)
        failed = [run for run in runs if run["exit"] != 0 or run["failed_operations"] or run["errored_operations"]]
        for run, output in zip(runs, outputs):
            if run in failed:
                print(f"--- schemathesis as {run['identity']} (exit {run['exit']}) ---", file=sys.stderr)
                print(output[-12000:], file=sys.stderr)
    except HarnessFailure as failure:
        print(f"conformance: {failure}", file=sys.stderr)
        print("PROOF " + json.dumps({"check": "conformance", "passed": False, "harness_error": str(failure)[:300]}))
        return 1
    finally:
        if os.environ.get("PROOF_KEEP") == "1":
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    figures = {
        "check": "conformance",
        "passed": not failed,
        "size": size,
        "max_examples": examples,
        "seed": seed,
        "schemathesis": pinned_requirements()[0],
        "operations": max(run["operations"] for run in runs),
        "test_cases": sum(run["test_cases"] for run in runs),
        "failures": sum(run["failed_operations"] + run["errored_operations"] for run in runs),
        "seconds": round(time.monotonic() - began, 1),
        "runs": runs,
    }
    print(
        f"conformance: {'passed' if not failed else 'FAILED'}: {figures['operations']} operations, "
        f"{figures['test_cases']} test cases over {len(runs)} identity runs "
        f"({', '.join(run['identity'] for run in runs)}), {figures['failures']} failing operations, "
        f"{figures['seconds']} s")
    print("PROOF " + json.dumps(figures, ensure_ascii=False))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
