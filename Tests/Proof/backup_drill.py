#!/usr/bin/env python3
"""Backup under load and a restore drill (issue #15, harness item 6).

`madoguchi serve` runs on a migrated temp database with the demo data while C clients submit applications
through the real API (a guest's JSON, the demo resident's HTML form flow with session cookie and CSRF token,
multipart with a PNG). Meanwhile the README's manual `madoguchi backup` line runs B times, at seeded random
moments. Each copy is then restored the way the README's "Back up and restore" section says — its `madoguchi
restore` line onto a fresh database path, then the server started on it — and checked. Both lines are read from
README.md and run through bash from an unrelated folder with the production paths mapped, so a README that
would not work for an operator fails the drill. The checks:
  - the backup file is readable by its owner only (it holds personal data),
  - PRAGMA integrity_check of the restored database is ok (sqlite3, read-only),
  - `madoguchi audit verify` passes on it, and its head row is in the live database's chain unchanged,
  - every submission acknowledged before that backup began is in it, with its event, usage_events, message and
    file rows,
  - it holds exactly the backup's rows, and `madoguchi serve` starts on it and /readyz answers 200.
Last, the newest backup is restored over the stopped live database (which holds more by then), the production
case, and checked the same way.

    backup_drill.py --backups 3 --clients 100 --seed 1     (make test)
    backup_drill.py --backups 20 --clients 100 --seed 1    (make proof)

Exits 0 only when every backup and every restored copy passed, and no answer during the load was a 5xx.
"""

import argparse
import contextlib
import random
import re
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep proofkit's bytecode out of the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import proofkit  # noqa: E402

LIVE_DATABASE = "/var/lib/madoguchi/madoguchi.sqlite"
AUDIT_HEAD = re.compile(r"audit log intact: (\d+) rows, head ([0-9a-f]{64})")


def take_backups(count, database, folder, load, moments, gap):
    """Runs `madoguchi backup` `count` times while the load writes; returns [(file, acknowledged before it,
    seconds it took)] in the order they were taken."""
    taken = []
    for number in range(1, count + 1):
        time.sleep(moments.uniform(*gap))
        if load.stopped_early():
            break
        acknowledged = load.ledger.snapshot()
        began = time.monotonic()
        # One folder per backup: the README's file name has one-second resolution and backup never overwrites.
        target = backup_as_readme_says(database, folder / f"{number:03}", folder / "elsewhere")
        taken.append((target, acknowledged, time.monotonic() - began))
        print(f"backup {number}/{count}: {len(acknowledged)} acknowledged before it, "
              f"{target.stat().st_size // 1024} KB in {taken[-1][2]:.2f} s", flush=True)
    return taken


def live_audit_hashes(database):
    with contextlib.closing(proofkit.read_only(database)) as connection:
        return dict(connection.execute("SELECT id, hash FROM audit_log"))


def table_counts(database):
    with contextlib.closing(proofkit.read_only(database)) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("applications", "application_events", "usage_events", "audit_log")
        }


def readme_command(verb):
    """The one `madoguchi VERB` line of the README's "Back up and restore" section (continuations joined), so
    the drill runs what an operator would type and a wrong README fails it."""
    section = (proofkit.REPO / "README.md").read_text().split("## Back up and restore", 1)[1].split("\n## ", 1)[0]
    lines = [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
        for line in block.replace("\\\n", " ").splitlines()
        if re.search(rf"\bmadoguchi {verb}\b", line)
    ]
    if len(lines) != 1:
        raise proofkit.ProofFailure(f"the README's backup section shows {len(lines)} `madoguchi {verb}` lines, not one")
    return lines[0]


def run_as_readme_says(verb, paths, scratch):
    """Runs the README's `madoguchi VERB` line through bash from an unrelated folder (`scratch`), as an operator
    would from wherever they stand, with the production paths replaced: `paths` maps each README path (or
    folder, ending in /) to the drill's. Returns the command as run."""
    line = re.sub(r"^sudo -u madoguchi\s+", "", readme_command(verb))
    line = re.sub(r"^(/opt/madoguchi/bin/)?madoguchi(?=\s)", shlex.quote(proofkit.binary()), line)
    for production, drill_path in sorted(paths.items(), key=lambda item: -len(item[0])):
        line = line.replace(production, shlex.quote(str(drill_path)) + ("/" if production.endswith("/") else ""))
    unmapped = re.search(r"(/var/|/opt/|/etc/|<)\S*", line)
    if unmapped:
        raise proofkit.ProofFailure(f"the README's {verb} line names {unmapped.group(0)}, which the drill cannot map")
    scratch.mkdir(exist_ok=True)
    result = subprocess.run(
        ["bash", "-c", line], cwd=scratch, env=proofkit.child_environment(), capture_output=True, text=True,
        timeout=300)
    if result.returncode != 0:
        raise proofkit.ProofFailure(f"the README's {verb} line exited {result.returncode}: {result.stderr.strip()}")
    return line


def restore_as_readme_says(backup, restored, scratch):
    line = run_as_readme_says(
        "restore", {"/var/backups/madoguchi/<file>.sqlite": backup, LIVE_DATABASE: restored}, scratch)
    if not restored.exists() or restored.stat().st_size == 0:
        strays = [str(path.relative_to(scratch)) for path in scratch.rglob("*.sqlite")]
        raise proofkit.ProofFailure(
            f"the README's restore line ({line}) did not write the database it names; it wrote "
            f"{strays or 'nothing'} under the folder it ran in")


def backup_as_readme_says(database, folder, scratch):
    """The README's manual backup line into an empty `folder`; returns the one file it made there."""
    folder.mkdir(mode=0o700)
    run_as_readme_says("backup", {"/var/backups/madoguchi/": folder, LIVE_DATABASE: database}, scratch)
    made = sorted(folder.glob("*.sqlite"))
    if len(made) != 1:
        raise proofkit.ProofFailure(f"the README's backup line made {len(made)} files in the backup folder, not one")
    return made[0]


def drill(backup, acknowledged, restored, live_hashes):
    """The README's restore procedure onto `restored`, then the checks; returns (problems, figures)."""
    problems = []
    mode = stat.S_IMODE(backup.stat().st_mode)
    if mode & 0o077:
        problems.append(f"the backup file is mode {mode:04o}, readable by others")
    # README: stop the server (none runs on a fresh path), restore, start the server.
    restore_as_readme_says(backup, restored, restored.parent / "elsewhere")
    figures = proofkit.verify_submissions(restored, acknowledged)
    problems.extend(proofkit.describe_problems(figures))
    if table_counts(restored) != table_counts(backup):
        problems.append(f"the restored database holds {table_counts(restored)}, the backup {table_counts(backup)}")
    verified = proofkit.run_cli("audit", "verify", "--db", restored, check=False)
    head = AUDIT_HEAD.search(verified.stdout)
    if verified.returncode != 0 or head is None:
        problems.append(f"audit verify exited {verified.returncode}: {verified.stderr.strip() or verified.stdout.strip()}")
    else:
        rows, head_hash = int(head.group(1)), head.group(2)
        # Row ids start at 1 and are never reused, so the copy's head is row `rows` of the live chain.
        if live_hashes.get(rows) != head_hash:
            problems.append(f"the copy's audit head (row {rows}) is not in the live chain")
    server = proofkit.Server(restored, log_path=restored.with_suffix(".log"))
    try:
        server.start()
        server.wait_ready()
    except proofkit.ProofFailure as failure:
        problems.append(f"serve on the restored copy: {failure}")
    finally:
        code = server.stop()
        if code != 0:
            problems.append(f"serve on the restored copy exited {code} after SIGTERM")
    return problems, figures


def main():
    parser = argparse.ArgumentParser(description="backups under load, each restored and checked")
    parser.add_argument("--backups", type=int, default=3, help="backups to take (make test: 3; make proof: 20)")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the backup moments and the clients")
    parser.add_argument("--min-gap", type=float, default=0.5, help="shortest pause before a backup (default 0.5 s)")
    parser.add_argument("--max-gap", type=float, default=3.0, help="longest pause before a backup (default 3 s)")
    arguments = parser.parse_args()
    if arguments.backups < 1 or arguments.clients < 3 or not 0 <= arguments.min_gap <= arguments.max_gap:
        parser.error("--backups must be at least 1, --clients at least 3, and 0 <= --min-gap <= --max-gap")
    proofkit.binary()
    moments = random.Random(arguments.seed)
    began = time.monotonic()
    failures = []

    with proofkit.work_directory("backup-drill") as folder:
        live = folder / "live"
        backups = folder / "backups"
        live.mkdir()
        backups.mkdir(mode=0o700)
        database, accounts = proofkit.prepare_database(live)
        server = proofkit.Server(database)
        server.start()
        residents = proofkit.sign_in_residents(server.base_url, *accounts["resident"], sessions=2)
        load = proofkit.Load(server.base_url, residents, arguments.clients, arguments.seed).start()
        try:
            taken = take_backups(
                arguments.backups, database, backups, load, moments, (arguments.min_gap, arguments.max_gap))
        except proofkit.ProofFailure as failure:
            taken = []
            failures.append(f"backup under load: {failure}")
        finally:
            load.finish()
        stop_code = server.stop()
        if stop_code != 0:
            failures.append(f"serve exited {stop_code} after SIGTERM")
        failures.extend(f"harness: {error}" for error in load.harness_errors()[:5])
        server_errors = load.ledger.server_errors()
        if server_errors:
            failures.append(f"{server_errors} answers were 5xx during the backups: {dict(load.ledger.statuses)}")
        if len(taken) < arguments.backups and not failures:
            failures.append(f"only {len(taken)} of {arguments.backups} backups were taken")

        live_hashes = live_audit_hashes(database)
        restored_ok, checked_rows, integrity = 0, 0, "ok" if taken else "not checked"
        for number, (backup, acknowledged, _) in enumerate(taken, start=1):
            restored = folder / f"restored-{number:03}" / "madoguchi.sqlite"
            restored.parent.mkdir()
            try:
                problems, figures = drill(backup, acknowledged, restored, live_hashes)
            except proofkit.ProofFailure as failure:
                problems, figures = [str(failure)], {"verified": 0, "integrity": "not checked"}
            checked_rows += figures["verified"]
            if figures["integrity"] != "ok":
                integrity = figures["integrity"]
            if problems:
                failures.extend(f"backup {number}: {problem}" for problem in problems)
            else:
                restored_ok += 1
            print(f"restore {number}/{len(taken)}: {figures['verified']}/{len(acknowledged)} verified, "
                  f"{'ok' if not problems else '; '.join(problems)[:200]}", flush=True)
        # Last, the production case: the newest backup over the stopped live database, which holds more.
        over_live = "not run"
        if taken:
            try:
                problems, _ = drill(taken[-1][0], taken[-1][1], database, live_hashes)
            except proofkit.ProofFailure as failure:
                problems = [str(failure)]
            over_live = "ok" if not problems else "; ".join(problems)[:300]
            failures.extend(f"restore over the live database: {problem}" for problem in problems)
            print(f"restore over the live database: {over_live}", flush=True)
        if failures:
            print(f"server log tail:\n{server.log_tail(2000)}", file=sys.stderr)

    figures = {
        "backups": len(taken),
        "restored_ok": restored_ok,
        "clients": arguments.clients,
        "seed": arguments.seed,
        "acknowledged": len(load.ledger.snapshot()),
        "acknowledged_before_last_backup": len(taken[-1][1]) if taken else 0,
        "verified_in_copies": checked_rows,
        "lost": sum(len(acknowledged) for _, acknowledged, _ in taken) - checked_rows,
        "integrity": integrity,
        "restore_over_live": over_live,
        "slowest_backup_s": round(max((seconds for _, _, seconds in taken), default=0.0), 2),
        "server_errors": server_errors,
        "seconds": round(time.monotonic() - began, 1),
        "passed": not failures,
    }
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    proofkit.print_proof(
        "backup_drill",
        f"{figures['backups']} backups under {arguments.clients} clients, {restored_ok} restored and checked: "
        f"{checked_rows} acknowledged submissions found in the copies, {figures['lost']} missing, integrity "
        f"{integrity}, slowest backup {figures['slowest_backup_s']} s, "
        f"{figures['seconds']} s",
        figures)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
