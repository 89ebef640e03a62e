"""What the proof harness scripts in Tests/Proof share: the real binary on a temp database, plain HTTP with
cookies and CSRF tokens, read-only looks at the SQLite file, and the PROOF line. Python 3 standard library only.

    binary()                      the madoguchi binary named by MADOGUCHI_BIN (exits 2 when it is missing)
    work_directory(prefix)        a temp folder (context manager), removed afterwards unless PROOF_KEEP=1
    run_cli(*arguments)           runs a madoguchi command; raises ProofFailure with its stderr when it fails
    prepare_database(folder)      migrate + demo-data --dev; returns (database path, demo accounts)
    add_staff(database, ...)      `madoguchi staff add`; returns the generated password
    Server(database)              `serve --dev` on loopback: start(), kill() (SIGKILL), stop() (SIGTERM),
                                  restart(), kill_during_start(seconds); dies with the harness
    fetch(base_url, method, path) one request on a fresh connection; returns Answer(status, headers, body)
    Client(base_url)              a keep-alive connection that carries cookies, for a simulated person
    sign_in_resident(...)         the HTML /login flow with its pre-session CSRF token; returns a signed-in Client
    sign_in_staff(...)            /staff/login, then the session's CSRF token from GET /api/v1/staff/session
    multipart(fields, files)      a multipart/form-data body and its Content-Type
    read_only(database)           a sqlite3 connection that cannot write (mode=ro URI)
    integrity(database)           PRAGMA integrity_check, "ok" when the file is sound
    usage_key(connection, ...)    usage_events.resident_key for a resident or a guest application
    print_proof(check, summary, figures)   the summary line and the `PROOF {...}` JSON line

Submissions under load, for checks that write while something happens to the server (a kill, a backup):
    sign_in_residents(base_url, login, password, sessions)   a few sessions of one resident, to share
    Load(base_url, residents, clients, seed)   client threads submitting applications three ways: a guest's
                                  JSON, a resident's HTML form flow, multipart with a PNG; start(), finish()
    Ledger                        what was acknowledged (reference per submission token), answer statuses
    verify_submissions(database, acknowledged)   each acknowledged submission present with its event,
                                  usage_events, message and file rows; plus PRAGMA integrity_check
    describe_problems(figures)    verify_submissions' failures as lines
"""

import collections
import contextlib
import ctypes
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "Schemas"

# A complete 1×1 PNG: AttachmentRules recognises files by their first bytes, and the whole file must be real.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class ProofFailure(Exception):
    """A step of the harness itself failed (a command, a start-up): the check cannot say pass or fail."""


# MARK: The binary and its commands


def binary():
    path = os.environ.get("MADOGUCHI_BIN", "")
    if not path or not os.access(path, os.X_OK):
        print(
            'set MADOGUCHI_BIN to the built madoguchi binary, e.g. MADOGUCHI_BIN="$(swift build --show-bin-path)/madoguchi"',
            file=sys.stderr,
        )
        sys.exit(2)
    return os.path.abspath(path)  # commands may run from another folder


def child_environment():
    # Flags win over MADOGUCHI_* anyway; dropping them keeps a developer's shell from changing the run.
    env = {key: value for key, value in os.environ.items() if not key.startswith("MADOGUCHI_")}
    env["LC_ALL"] = "C.UTF-8"
    return env


@contextlib.contextmanager
def work_directory(prefix):
    # SIGTERM (a CI timeout) unwinds like an error, so the folder goes and the servers are stopped.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    folder = Path(tempfile.mkdtemp(prefix=f"madoguchi-{prefix}-"))
    try:
        yield folder
    finally:
        if os.environ.get("PROOF_KEEP") == "1":
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run_cli(*arguments, stdin=None, timeout=120, check=True):
    """Runs `madoguchi ARGUMENTS…` from the repository root; returns the CompletedProcess."""
    result = subprocess.run(
        [binary(), *map(str, arguments)],
        cwd=REPO,
        env=child_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise ProofFailure(f"madoguchi {' '.join(map(str, arguments[:2]))} exited {result.returncode}: {result.stderr.strip()}")
    return result


def database_options(database):
    return ["--db", str(database), "--schemas", str(SCHEMAS)]


def prepare_database(folder):
    """A migrated database with the demo data; returns (path, {"admin"|"clerk"|"resident": (login, password)})."""
    database = Path(folder) / "madoguchi.sqlite"
    run_cli("migrate", *database_options(database))
    output = run_cli("demo-data", "--dev", *database_options(database)).stdout
    accounts = {}
    for kind, label in (("admin", "staff admin"), ("clerk", "staff clerk"), ("resident", "resident")):
        match = re.search(rf"^\s*{label}\s+\S+\s+login:\s*(\S+)\s+password:\s*(\S+)\s*$", output, re.MULTILINE)
        if match is None:
            raise ProofFailure(f"demo-data printed no {label} line:\n{output}")
        accounts[kind] = (match.group(1), match.group(2))
    return database, accounts


def add_staff(database, login, name, role, department):
    password = "proof-" + secrets.token_urlsafe(12)
    run_cli(
        "staff", "add", "--login", login, "--name", name, "--role", role, "--department", department,
        "--password-stdin", *database_options(database), stdin=password + "\n",
    )
    return password


# MARK: The server


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():
    # A harness killed or interrupted must not leave servers behind on the shared machine: the kernel sends the
    # child SIGKILL when the harness goes (prctl PR_SET_PDEATHSIG, Linux).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Server:
    """`madoguchi serve --dev` on one loopback port. The port stays the same across restarts, so clients that
    lost their connection reconnect to the restarted process; its log (JSON lines) goes to `log_path`."""

    LISTENING = re.compile(r"madoguchi listening on (http://127\.0\.0\.1:(\d+))")

    def __init__(self, database, port=None, log_path=None, extra_arguments=()):
        self.database = Path(database)
        self.port = port or free_port()
        self.log_path = Path(log_path or self.database.with_suffix(".log"))
        self.extra_arguments = list(extra_arguments)
        self.process = None
        self.starts = 0

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        """Starts the server and waits for its listening line; returns the seconds that took."""
        began = time.monotonic()
        deadline = began + timeout
        while True:
            outcome = self._start_once(deadline)
            if outcome == "listening":
                break
            # A port freed by SIGKILL a moment ago can still be held by the dying process's sockets.
            if outcome == "address in use" and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise ProofFailure(f"serve did not start within {timeout} s ({outcome}):\n{self.log_tail()}")
        self.starts += 1
        return time.monotonic() - began

    def _spawn(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [binary(), "serve", "--dev", "--listen", f"127.0.0.1:{self.port}",
                 *database_options(self.database), *self.extra_arguments],
                cwd=REPO, env=child_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                preexec_fn=_die_with_parent,
            )

    def _start_once(self, deadline):
        self._spawn()
        ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = self.process.stdout.readline().decode(errors="replace").strip() if ready else ""
        if self.LISTENING.fullmatch(line):
            # Nothing else is expected on stdout, but never let a full pipe stall the server.
            threading.Thread(target=self.process.stdout.read, daemon=True).start()
            return "listening"
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        if "in use" in self.log_tail(400).lower():
            return "address in use"
        return f"exit {code}, first line {line!r}" if ready else "no listening line"

    def kill_during_start(self, after):
        """Starts serve and SIGKILLs it `after` seconds later, whether it listens by then or not (a crash while
        it opens the database, recovers the WAL or checks the migrations)."""
        self._spawn()
        time.sleep(after)
        self.kill()

    def kill(self):
        """SIGKILL, as a power cut or the OOM killer would: no drain, no checkpoint, no cleanup."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout=30):
        """SIGTERM and wait for a clean exit; returns the exit code (raises when it hangs)."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ProofFailure(f"serve did not stop within {timeout} s of SIGTERM:\n{self.log_tail()}") from None

    def restart(self, timeout=30):
        self.kill()
        return self.start(timeout)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if fetch(self.base_url, "GET", "/readyz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise ProofFailure(f"/readyz did not answer 200 within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, characters=3000):
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""


# MARK: HTTP


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (lower-cased name, value)
        self.body = body

    def header(self, name):
        return next((value for key, value in self.headers if key == name.lower()), None)

    def all(self, name):
        return [value for key, value in self.headers if key == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


def _split(base_url):
    parts = urllib.parse.urlsplit(base_url)
    return parts.hostname, parts.port


def fetch(base_url, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection."""
    host, port = _split(base_url)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read())
    finally:
        connection.close()


class Client:
    """One person's browser or app: a keep-alive connection (reopened after any error) and a cookie jar."""

    def __init__(self, base_url, timeout=30):
        self.host, self.port = _split(base_url)
        self.timeout = timeout
        self.cookies = {}
        self.csrf_token = None
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            answer = Answer(response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read())
        except BaseException:
            self.close()
            raise
        if answer.header("connection") == "close":
            self.close()
        for cookie in answer.all("set-cookie"):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return answer

    def post_form(self, path, fields):
        return self.request("POST", path, urllib.parse.urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path, value, headers=None):
        return self.request("POST", path, json.dumps(value, ensure_ascii=False).encode(),
                            {"Content-Type": "application/json", **(headers or {})})

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(page):
    match = CSRF_FIELD.search(page)
    if match is None:
        raise ProofFailure("the page carries no csrf_token field")
    return match.group(1)


def sign_in_resident(base_url, login, password):
    """Signs in through the resident's HTML login form (pre-session CSRF cookie and field); returns a Client
    holding the session cookie, with `csrf_token` set to the session's token (read from マイページ's forms)."""
    client = Client(base_url)
    form = client.request("GET", "/login")
    answer = client.post_form("/login", {"csrf_token": csrf_in(form.text), "login_id": login, "password": password})
    if answer.status != 303:
        raise ProofFailure(f"resident login answered {answer.status}")
    client.csrf_token = csrf_in(client.request("GET", "/mypage").text)
    return client


def sign_in_staff(base_url, login, password):
    """Signs in at /staff/login; returns a Client with the session cookie and its CSRF token for X-CSRF-Token."""
    client = Client(base_url)
    form = client.request("GET", "/staff/login")
    answer = client.post_form("/staff/login", {"csrf_token": csrf_in(form.text), "login_id": login, "password": password})
    if answer.status != 303:
        raise ProofFailure(f"staff login answered {answer.status}")
    client.csrf_token = client.request("GET", "/api/v1/staff/session").json()["csrf_token"]
    return client


def multipart(fields, files=()):
    """fields: [(name, text)]; files: [(name, filename, content type, bytes)]. Returns (body, content type)."""
    boundary = "proof" + secrets.token_hex(12)
    chunks = []
    for name, value in fields:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        chunks.append(value.encode() if isinstance(value, str) else value)
        chunks.append(b"\r\n")
    for name, filename, content_type, data in files:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode())
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


# MARK: The database, read-only


def read_only(database):
    """A connection that can only read (the server may be running, or dead with a hot WAL)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    connection.execute("PRAGMA query_only = ON")
    return connection


def integrity(database):
    with contextlib.closing(read_only(database)) as connection:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def usage_key(connection, resident_id=None, guest_application_id=None):
    """usage_events.resident_key as ServiceKit's UsageEvents writes it (HMAC-SHA256 under the server secret)."""
    row = connection.execute("SELECT secret FROM server_secrets WHERE name = 'usage_resident_key'").fetchone()
    if row is None:
        return None
    material = f"resident:{resident_id}" if resident_id is not None else f"guest-application:{guest_application_id}"
    return hmac.new(bytes(row[0]), material.encode(), hashlib.sha256).hexdigest()


# MARK: Submissions under load


PROCEDURE = "road-light-report"  # no required file, no prefill needed: all three ways can submit it
ANSWERS = {"issue_type": "pothole", "location": "本町1番地の交差点付近", "details": "道路に穴があいています。"}
COMPLETION_REFERENCE = re.compile(r'<p class="reference">([A-Z0-9]{4})-([A-Z0-9]{4})</p>')
PHOTO_SHA256 = hashlib.sha256(TINY_PNG).hexdigest()


class Ledger:
    """Every acknowledged submission by submission token, in the order the answers arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = {}  # token -> {"reference", "kind", "resident", "file"}
        self.statuses = collections.Counter()
        self.unanswered = 0  # attempts that lost their connection (retried with the same token)
        self.conflicts = []  # a token acknowledged under two different references

    def acknowledge(self, token, reference, kind, resident, with_file):
        with self.lock:
            known = self.acknowledged.get(token)
            if known is None:
                self.acknowledged[token] = {"reference": reference, "kind": kind, "resident": resident, "file": with_file}
            elif known["reference"] != reference:
                self.conflicts.append((token, known["reference"], reference))

    def count(self, status):
        with self.lock:
            self.statuses[status] += 1

    def lost_connection(self):
        with self.lock:
            self.unanswered += 1

    def snapshot(self):
        """What was acknowledged up to now (a copy: taken before a kill or a backup, checked after it)."""
        with self.lock:
            return dict(self.acknowledged)

    def server_errors(self):
        with self.lock:
            return sum(count for status, count in self.statuses.items() if status >= 500)


class Submitter(threading.Thread):
    """One client submitting one application after another the same way, until told to stop. An attempt that
    loses its connection is retried with the same submission token, as a phone on a bad line would."""

    KINDS = ("guest-json", "resident-form", "multipart-file")

    def __init__(self, number, base_url, resident, ledger, stop, seed):
        super().__init__(daemon=True, name=f"client-{number}")
        self.kind = self.KINDS[number % len(self.KINDS)]
        self.random = random.Random(f"{seed}:{number}")
        self.resident = resident  # {"cookies", "csrf", "id"}, from sign_in_residents
        self.client = Client(base_url, timeout=30)
        self.ledger = ledger
        self.stop = stop
        self.harness_errors = []

    def run(self):
        try:
            while not self.stop.is_set():
                # Multipart goes half as a guest, half as the resident (session cookie + X-CSRF-Token).
                as_resident = self.kind == "resident-form" or (
                    self.kind == "multipart-file" and self.random.random() < 0.5)
                self.client.cookies = dict(self.resident["cookies"]) if as_resident else {}
                token = "proof-" + "%032x" % self.random.getrandbits(128)
                self.submit_until_acknowledged(token, as_resident)
        except Exception as error:  # a harness bug must fail the run, not vanish with its thread
            self.harness_errors.append(f"{self.name}: {error!r}")
            self.stop.set()
        finally:
            self.client.close()

    def submit_until_acknowledged(self, token, as_resident):
        backoff = 0.05
        while not self.stop.is_set():
            try:
                reference = self.attempt(token, as_resident)
            except (OSError, http.client.HTTPException):  # refused while it restarts, or cut by the kill
                self.ledger.lost_connection()
                reference = None
            if reference:
                self.ledger.acknowledge(
                    token, reference, self.kind, self.resident["id"] if as_resident else None,
                    self.kind == "multipart-file")
                return
            time.sleep(backoff * (0.5 + self.random.random()))
            backoff = min(backoff * 2, 1.0)

    def attempt(self, token, as_resident):
        if self.kind == "guest-json":
            return self.api_answer(self.client.post_json("/api/v1/applications", self.body(token)))
        if self.kind == "multipart-file":
            body, content_type = multipart(
                [("application", json.dumps(self.body(token), ensure_ascii=False))],
                [("photo", "photo.png", "image/png", TINY_PNG)])
            headers = {"Content-Type": content_type}
            if as_resident:
                headers["X-CSRF-Token"] = self.resident["csrf"]
            return self.api_answer(self.client.request("POST", "/api/v1/applications", body, headers))
        return self.form_flow(token)

    def body(self, token):
        return {"procedure_code": PROCEDURE, "submission_token": token, "answers": ANSWERS}

    def api_answer(self, answer):
        self.ledger.count(answer.status)
        if answer.status in (200, 201):
            return answer.json()["reference"]
        self.refused(answer)
        return None

    def form_flow(self, token):
        """The resident's pages: the form (multipart, as the page sends it), then 申請する on the confirmation
        page. A retry of a token that was already submitted lands on the completion page at once."""
        csrf = self.resident["csrf"]
        body, content_type = multipart([("csrf_token", csrf), ("form_token", token), *ANSWERS.items()])
        answer = self.client.request("POST", f"/applications/new/{PROCEDURE}", body, {"Content-Type": content_type})
        self.ledger.count(answer.status)
        if answer.status != 200:
            self.refused(answer)
            return None
        found = COMPLETION_REFERENCE.search(answer.text)
        if found is None:  # the confirmation page
            answer = self.client.post_form("/applications/submit", {"csrf_token": csrf, "form_token": token})
            self.ledger.count(answer.status)
            found = COMPLETION_REFERENCE.search(answer.text) if answer.status == 200 else None
            if found is None:
                self.refused(answer)
                return None
        return found.group(1) + found.group(2)

    def refused(self, answer):
        # Every submission here is valid, so a 4xx means the harness is wrong: stop rather than hammer on.
        # 5xx are counted in the ledger and judged by the check.
        if 400 <= answer.status < 500:
            self.harness_errors.append(f"{self.name} ({self.kind}): {answer.status} {answer.text[:200]}")
            self.stop.set()


class Load:
    """`clients` Submitters against one server; start() them, finish() stops and joins them."""

    def __init__(self, base_url, residents, clients, seed):
        self.ledger, self.stop = Ledger(), threading.Event()
        self.clients = [
            Submitter(number, base_url, residents[number % len(residents)], self.ledger, self.stop, seed)
            for number in range(clients)
        ]

    def start(self):
        for client in self.clients:
            client.start()
        return self

    def stopped_early(self):
        return self.stop.is_set()

    def finish(self, timeout=60):
        self.stop.set()
        for client in self.clients:
            client.join(timeout=timeout)

    def harness_errors(self):
        return [error for client in self.clients for error in client.harness_errors]

    def kinds(self):
        return dict(sorted(collections.Counter(ack["kind"] for ack in self.ledger.snapshot().values()).items()))


def sign_in_residents(base_url, login, password, sessions):
    """`sessions` sessions of one resident, for Submitters to share (each login costs a PBKDF2)."""
    signed_in = []
    for _ in range(sessions):
        client = sign_in_resident(base_url, login, password)
        me = client.request("GET", "/api/v1/me").json()
        signed_in.append({"cookies": dict(client.cookies), "csrf": client.csrf_token, "id": me["id"]})
        client.close()
    return signed_in


def verify_submissions(database, acknowledged):
    """Checks each acknowledged submission ({token: ack} from Ledger.snapshot) in the file: the application
    under its reference, with its token, applicant and status; its draft → received event; its message; its
    file; its usage_events row (same HMAC key, time and procedure). Returns {"acknowledged", "verified",
    "lost": [references], "incomplete": [what is missing], "missing_usage": n, "integrity"}."""
    with contextlib.closing(read_only(database)) as connection:
        applications = {
            row[0]: row[1:]
            for row in connection.execute(
                "SELECT reference, id, resident_id, status, submitted_at, procedure_code, submission_token "
                "FROM applications WHERE reference IS NOT NULL")
        }
        submitted_events = {
            row[0] for row in connection.execute(
                "SELECT application_id FROM application_events "
                "WHERE kind = 'status' AND from_status = 'draft' AND to_status = 'received'")
        }
        usage = collections.Counter(connection.execute(
            "SELECT resident_key, occurred_at, subject_code FROM usage_events "
            "WHERE source = 'applications' AND kind = 'submitted' AND channel = 'web'").fetchall())
        messages = {
            row[0] for row in connection.execute("SELECT record_id FROM resident_messages WHERE source = 'applications'")
        }
        photos = {
            row[0] for row in connection.execute(
                "SELECT application_id FROM application_attachments WHERE field = 'photo' AND sha256 = ?",
                (PHOTO_SHA256,))
        }
        resident_keys = {}
        needed_usage = collections.Counter()
        lost, incomplete = [], []
        for token, ack in acknowledged.items():
            row = applications.get(ack["reference"])
            if row is None:
                lost.append(ack["reference"])
                continue
            application_id, resident_id, status, submitted_at, procedure, stored_token = row
            problems = []
            if stored_token != token:
                problems.append("another submission token")
            if resident_id != ack["resident"]:
                problems.append(f"resident {resident_id}, expected {ack['resident']}")
            if status != "received":
                problems.append(f"status {status}")
            if application_id not in submitted_events:
                problems.append("no draft → received event")
            if application_id not in messages:
                problems.append("no resident message")
            if ack["file"] and application_id not in photos:
                problems.append("no photo attachment")
            if problems:
                incomplete.append(f"{ack['reference']}: {', '.join(problems)}")
            if resident_id is not None:
                key = resident_keys.setdefault(resident_id, usage_key(connection, resident_id=resident_id))
            else:
                key = usage_key(connection, guest_application_id=application_id)
            needed_usage[(key, submitted_at, procedure)] += 1
        # One resident's submissions in the same millisecond share a slot, so usage rows are counted per slot.
        missing_usage = sum(max(0, count - usage[slot]) for slot, count in needed_usage.items())
        result = "; ".join(str(row[0]) for row in connection.execute("PRAGMA integrity_check"))
    return {
        "acknowledged": len(acknowledged),
        "verified": max(0, len(acknowledged) - len(lost) - len(incomplete) - missing_usage),
        "lost": lost,
        "incomplete": incomplete,
        "missing_usage": missing_usage,
        "integrity": result,
    }


def describe_problems(figures):
    """The failures in verify_submissions' figures, as lines (empty when everything was there)."""
    problems = []
    if figures["integrity"] != "ok":
        problems.append(f"integrity_check: {figures['integrity'][:300]}")
    if figures["lost"]:
        problems.append(f"{len(figures['lost'])} acknowledged submissions missing: {figures['lost'][:5]}")
    if figures["incomplete"]:
        problems.append(f"{len(figures['incomplete'])} incomplete: {figures['incomplete'][:5]}")
    if figures["missing_usage"]:
        problems.append(f"{figures['missing_usage']} acknowledged submissions without their usage_events row")
    return problems


# MARK: Reporting


def commit():
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def print_proof(check, summary, figures):
    """Prints the one-line summary, then `PROOF {"check": …, …figures, "date", "commit"}`."""
    print(f"{check}: {summary}", flush=True)
    record = {"check": check, **figures, "date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": commit()}
    print("PROOF " + json.dumps(record, ensure_ascii=False, sort_keys=False), flush=True)
