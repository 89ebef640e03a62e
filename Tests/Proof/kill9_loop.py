#!/usr/bin/env python3
"""kill -9 loop (issue #15, harness item 1): no acknowledged submission is ever lost to a crash.

`madoguchi serve` runs on a migrated temp database with the demo data while C clients submit through the real
API, a third of them each way:
  - a guest posting JSON to POST /api/v1/applications,
  - the signed-in demo resident going through the HTML form (multipart form → confirmation → 申請する), with
    the session cookie and the session's CSRF token,
  - a guest or the resident posting multipart/form-data with a PNG attached (the resident with X-CSRF-Token).
At seeded random moments the server gets SIGKILL and is started again on the same file, with no repair step;
in about one round in five (--startup-kills) the new process is killed once more while it starts.
A submission is acknowledged when an answer carried its reference number (201/200 JSON, or the completion page);
an answer lost to the kill is retried with the same submission token until it is acknowledged. After every
restart, and at the end after a clean stop, a read-only sqlite3 connection checks that every acknowledged
submission is there — the application under its reference and token, its draft → received event row, its
usage_events row (the same HMAC key the server writes), its message, its file — and PRAGMA integrity_check.

    kill9_loop.py --rounds 5 --clients 200 --seed 1      (make test)
    kill9_loop.py --rounds 50 --clients 200 --seed 1     (make proof)

Exits 0 only when nothing acknowledged was lost or incomplete, integrity was ok every time, every restart
listened within --restart-timeout seconds, and no answer was a 5xx.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep proofkit's bytecode out of the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import proofkit  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="kill -9 loop: no acknowledged submission is lost to a crash")
    parser.add_argument("--rounds", type=int, default=5, help="SIGKILLs (make test: 5; make proof: 50)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the kill moments and the clients")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="shortest run before a kill (default 0.5)")
    parser.add_argument("--max-seconds", type=float, default=6.0, help="longest run before a kill (default 6)")
    parser.add_argument("--startup-kills", type=float, default=0.2,
                        help="chance per round of one more SIGKILL while the server starts (default 0.2)")
    parser.add_argument("--restart-timeout", type=float, default=30, help="a slower restart fails (default 30 s)")
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.clients < 3 or not 0 < arguments.min_seconds <= arguments.max_seconds:
        parser.error("--rounds must be at least 1, --clients at least 3, and 0 < --min-seconds <= --max-seconds")
    proofkit.binary()
    moments = random.Random(arguments.seed)
    began = time.monotonic()
    failures, restarts, checks, integrity, startup_kills = [], [], 0, "ok", 0

    def look(moment, acknowledged):
        nonlocal checks, integrity
        figures = proofkit.verify_submissions(database, acknowledged)
        checks += 1
        if figures["integrity"] != "ok":
            integrity = figures["integrity"]
        failures.extend(f"{moment}: {problem}" for problem in proofkit.describe_problems(figures))
        return figures

    with proofkit.work_directory("kill9") as folder:
        database, accounts = proofkit.prepare_database(folder)
        server = proofkit.Server(database)
        server.start(arguments.restart_timeout)
        residents = proofkit.sign_in_residents(server.base_url, *accounts["resident"], sessions=2)
        load = proofkit.Load(server.base_url, residents, arguments.clients, arguments.seed).start()
        rounds = 0
        try:
            for round_number in range(1, arguments.rounds + 1):
                time.sleep(moments.uniform(arguments.min_seconds, arguments.max_seconds))
                if load.stopped_early():
                    break
                server.kill()
                # Everything acknowledged before the kill; answers still in flight count from the next look.
                acknowledged = load.ledger.snapshot()
                rounds += 1
                try:
                    if moments.random() < arguments.startup_kills:
                        server.kill_during_start(moments.uniform(0, 0.3))
                        startup_kills += 1
                    restarts.append(server.start(arguments.restart_timeout))
                    server.wait_ready(arguments.restart_timeout)
                except proofkit.ProofFailure as failure:
                    failures.append(f"round {round_number}: stuck restart: {failure}")
                    break
                figures = look(f"after restart {round_number}", acknowledged)
                print(
                    f"round {round_number}/{arguments.rounds}: {figures['verified']}/{figures['acknowledged']} "
                    f"acknowledged verified, integrity {figures['integrity'][:40]}, restart {restarts[-1]:.2f} s",
                    flush=True)
        finally:
            load.finish()
        stop_code = server.stop()
        if stop_code != 0:
            failures.append(f"serve exited {stop_code} after SIGTERM")
        final = look("after the clean stop", load.ledger.snapshot())
        failures.extend(f"harness: {error}" for error in load.harness_errors()[:5])
        server_errors = load.ledger.server_errors()
        if server_errors:
            failures.append(f"{server_errors} answers were 5xx: {dict(load.ledger.statuses)}")
        if load.ledger.conflicts:
            failures.append(f"a submission token got two references: {load.ledger.conflicts[:3]}")
        if not final["acknowledged"]:
            failures.append("nothing was acknowledged")
        if rounds < arguments.rounds and not failures:
            failures.append(f"only {rounds} of {arguments.rounds} rounds ran")
        if failures:
            print(f"server log tail:\n{server.log_tail(2000)}", file=sys.stderr)

    figures = {
        "rounds": rounds,
        "clients": arguments.clients,
        "seed": arguments.seed,
        "acknowledged": final["acknowledged"],
        "verified": final["verified"],
        "lost": len(final["lost"]),
        "incomplete": len(final["incomplete"]) + final["missing_usage"],
        "integrity": integrity if integrity != "ok" else final["integrity"],
        "startup_kills": startup_kills,
        "checks": checks,
        "by_kind": load.kinds(),
        "unanswered_attempts": load.ledger.unanswered,
        "server_errors": server_errors,
        "slowest_restart_s": round(max(restarts, default=0.0), 2),
        "seconds": round(time.monotonic() - began, 1),
        "passed": not failures,
    }
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    proofkit.print_proof(
        "kill9_loop",
        f"{rounds} rounds of SIGKILL (+{startup_kills} during start-up) under {arguments.clients} clients: {figures['acknowledged']} acknowledged, "
        f"{figures['verified']} verified, {figures['lost']} lost, integrity {figures['integrity']}, "
        f"slowest restart {figures['slowest_restart_s']} s, {figures['seconds']} s",
        figures)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
