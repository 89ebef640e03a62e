#!/usr/bin/env python3
"""Full disk: the database on a small loop-mounted ext4 filesystem that fills while clients write.

    Tests/Proof/full_disk.py ci|proof [--bin PATH] [--allow-skip]

Makes an ext4 image, mounts it, puts the database on it and serves it with the real binary. A filler file
takes all but a few MB, then concurrent guests submit applications through the JSON API until the disk is
full. Checks: every refused write is a 503 `storage_unavailable` with Retry-After (never a 500), /readyz
turns 503, reads keep answering 200; after the filler is deleted /readyz returns to 200 with no write
traffic, writes succeed again, and after a clean stop every acknowledged submission is in the database and
`integrity_check` is ok. `ci` does one fill/free cycle with 16 clients; `proof` does three with 64.

Needs root (losetup/mount). Without it the check fails, or with --allow-skip prints a SKIP line and exits 0.
Everything it makes (server, mount, image, temp directory) is removed on the way out, also on failure.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZES = {"ci": {"cycles": 1, "clients": 16}, "proof": {"cycles": 3, "clients": 64}}
# 80 MB: ext4 leaves about 72 MB usable, so the reserve gets its full 8 MB (an eighth of the filesystem at most).
IMAGE_MB = 80
FREE_AFTER_FILLER_MB = 3


def fail(message):
    raise CheckFailed(message)


class CheckFailed(Exception):
    pass


class Server:
    def __init__(self, binary, database):
        self.process = subprocess.Popen(
            [binary, "serve", "--db", database, "--listen", "127.0.0.1:0", "--payments-sandbox",
             "--schemas", os.path.join(ROOT, "Schemas"), "--log-level", "error"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")})
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.process.kill()
            fail("serve did not start: %r %s" % (line, self.process.stderr.read()))
        self.port = int(line.strip().rsplit(":", 1)[1])

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def submission_body():
    return json.dumps({
        "procedure_code": "road-light-report",
        "submission_token": uuid.uuid4().hex,
        "answers": {"issue_type": "pothole", "location": "本町28番地の前の道路",
                    "details": "道路に直径30センチほどの穴があります。" * 8},
    }, ensure_ascii=False).encode()


class Writers:
    """Clients submitting until told to stop, each on its own keep-alive connection."""

    def __init__(self, server, clients):
        self.server = server
        self.clients = clients
        self.lock = threading.Lock()
        self.acknowledged = []
        self.statuses = {}
        self.bad_refusals = []
        self.stop_event = threading.Event()
        self.threads = []

    def start(self):
        self.stop_event.clear()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(self.clients)]
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()

    def count(self, status):
        with self.lock:
            return self.statuses.get(status, 0)

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        while not self.stop_event.is_set():
            try:
                connection.request("POST", "/api/v1/applications", body=submission_body(),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                status, body = "connection error", b""
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 201:
                    self.acknowledged.append(json.loads(body)["reference"])
                elif status == 503:
                    error = json.loads(body).get("error", {})
                    if error.get("code") != "storage_unavailable" or response.getheader("Retry-After") != "60":
                        self.bad_refusals.append(body[:200])
                    time.sleep(0.01)
        connection.close()


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def unmount(mount_point):
    for _ in range(20):
        if subprocess.run(["umount", mount_point], stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.25)
    # Still busy after 5 s (a process we do not own?): detach it lazily so the loop device goes with it.
    subprocess.run(["umount", "-l", mount_point], check=True)


def size_or_zero(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def free_bytes(path):
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


def run_check(size, binary, work):
    image = os.path.join(work, "disk.img")
    mount_point = os.path.join(work, "mnt")
    os.mkdir(mount_point)
    subprocess.run(["truncate", "-s", "%dM" % IMAGE_MB, image], check=True)
    # -m 0: no blocks kept for root, so the server (root here) sees the same full disk as in production.
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", image], check=True)
    subprocess.run(["mount", "-o", "loop", image, mount_point], check=True)
    cleanups.append(lambda: unmount(mount_point))
    database = os.path.join(mount_point, "madoguchi.sqlite")
    filler = os.path.join(mount_point, "filler")

    server = Server(binary, database)
    cleanups.append(server.stop)
    reserve_bytes = os.stat(database + "-reserve").st_blocks * 512 if os.path.exists(database + "-reserve") else 0
    writers = Writers(server, SIZES[size]["clients"])
    figures = {"check": "full_disk", "size": size, "image_mb": IMAGE_MB, "clients": writers.clients,
               "reserve_mb": round(reserve_bytes / 1048576, 2), "cycles": 0}
    recoveries = []
    for cycle in range(SIZES[size]["cycles"]):
        with open(filler, "wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, max(0, free_bytes(mount_point) - FREE_AFTER_FILLER_MB * 1048576))
        before, refused_before = writers.count(201), writers.count(503)
        wal_sizes = []
        writers.start()
        full = wait_for(
            lambda: wal_sizes.append(size_or_zero(database + "-wal")) or writers.count(503) - refused_before >= 50
            or writers.count(500) > 0, 300)
        if writers.count(500):
            writers.stop()
            fail("a write answered 500 on a full disk (%s)" % writers.statuses)
        if not full:
            fail("the disk never filled: %s" % writers.statuses)
        status, _, _ = server.request("GET", "/readyz")
        if status != 503:
            fail("/readyz answered %s while writes fail" % status)
        for path in ["/", "/api/v1/procedures", "/applications"]:
            status, _, _ = server.request("GET", path)
            if status != 200:
                fail("read %s answered %s on a full disk" % (path, status))
        writers.stop()
        if cycle == 0:
            figures["acknowledged_before_full"] = writers.count(201) - before
            figures["wal_mb_max_while_filling"] = round(max(wal_sizes) / 1048576, 2)
            figures["wal_bytes_while_full"] = size_or_zero(database + "-wal")
            figures["db_mb_at_full"] = round(os.path.getsize(database) / 1048576, 2)
        # Space is back. Readiness must notice with no write traffic at all.
        os.unlink(filler)
        started = time.monotonic()
        if not wait_for(lambda: server.request("GET", "/readyz")[0] == 200, 10):
            fail("/readyz stayed unready after space was freed")
        recoveries.append(time.monotonic() - started)
        if not os.path.exists(database + "-reserve"):
            fail("the reserve was not re-created once space was back")
        for _ in range(20):
            status, _, body = server.request("POST", "/api/v1/applications", body=submission_body(),
                                             headers={"Content-Type": "application/json"})
            if status != 201:
                fail("a write after space was freed answered %s" % status)
            writers.acknowledged.append(json.loads(body)["reference"])
        figures["cycles"] += 1

    exit_code = server.stop()
    if exit_code != 0:
        fail("serve exited %s on SIGTERM" % exit_code)
    # Closed before the unmount: an open connection keeps the filesystem busy.
    connection = sqlite3.connect(database)
    try:
        stored = set(row[0] for row in connection.execute(
            "SELECT reference FROM applications WHERE reference IS NOT NULL"))
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    lost = [reference for reference in writers.acknowledged if reference not in stored]
    statuses = {str(k): v for k, v in writers.statuses.items()}
    figures.update({
        "acknowledged": len(writers.acknowledged), "lost": len(lost), "status_201": writers.count(201),
        "status_503": writers.count(503), "status_500": writers.count(500),
        "other_statuses": {k: v for k, v in statuses.items() if k not in ("201", "503")},
        "bad_503_bodies": len(writers.bad_refusals), "integrity": integrity,
        "readyz_recovery_s_max": round(max(recoveries), 2),
    })
    passed = (not lost and integrity == "ok" and writers.count(500) == 0 and not writers.bad_refusals
              and set(statuses) <= {"201", "503"})
    return passed, figures


cleanups = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--bin", default=os.environ.get("MADOGUCHI_BIN", os.path.join(ROOT, ".build/debug/madoguchi")))
    parser.add_argument("--allow-skip", action="store_true", help="exit 0 with a SKIP line when mounting is not permitted")
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="madoguchi-full-disk-")
    try:
        if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
            reason = "needs root and mkfs.ext4 to loop-mount a small filesystem"
            raise PermissionError(reason)
        passed, figures = run_check(arguments.size, arguments.bin, work)
    except (PermissionError, subprocess.CalledProcessError) as error:
        cleanup(work)
        if arguments.allow_skip:
            print("SKIP full_disk: cannot make a loop-mounted filesystem here (%s)" % error)
            print("PROOF " + json.dumps({"check": "full_disk", "skipped": True, "reason": str(error)}))
            return 0
        print("FAIL full_disk: cannot make a loop-mounted filesystem here (%s); pass --allow-skip to skip" % error)
        return 1
    except CheckFailed as error:
        cleanup(work)
        print("FAIL full_disk: %s" % error)
        print("PROOF " + json.dumps({"check": "full_disk", "passed": False, "reason": str(error)}))
        return 1
    except BaseException:
        cleanup(work)
        raise
    cleanup(work)
    figures["passed"] = passed
    print("%s full_disk: %d acknowledged, %d lost, %d x 503, %d x 500, integrity %s, readyz back in %.2f s, "
          "%d cycle(s) on a %d MB ext4 image with a %.1f MB reserve" % (
              "PASS" if passed else "FAIL", figures["acknowledged"], figures["lost"], figures["status_503"],
              figures["status_500"], figures["integrity"], figures["readyz_recovery_s_max"], figures["cycles"],
              IMAGE_MB, figures["reserve_mb"]))
    print("PROOF " + json.dumps(figures, ensure_ascii=False))
    return 0 if passed else 1


def cleanup(work):
    while cleanups:
        try:
            cleanups.pop()()
        except Exception as error:  # keep cleaning up: the mount must go even if stopping the server failed
            print("cleanup: %s" % error, file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
