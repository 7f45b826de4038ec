"""bin/verify: the fuzz suite, the hostile-upload tests, every fault script and the load
test, one after another, each printing its own figures; then one summary table.

    bin/verify [--quick] [--only NAME[,NAME...]] [--skip NAME[,NAME...]]

``--quick`` runs short versions (20 s sweeps, a 40 s load test with 12 users, fewer
fuzz examples) that take 8-10 minutes on a 2-core machine, 4 of them the fuzz suite;
CI runs them after the test suite (.ci/run). Their load run is too short to judge a
latency goal (``--no-latency-goals``: percentiles printed, not judged); it checks errors,
losses and doubles. The full run, with the latency goals, is the check before a
release. Exits 1 if any check of any suite failed, or a suite did not report.

Needs PostgreSQL on 127.0.0.1:5432 (the scripts create and empty ``kamen_faults`` and
``kamen_load``), ``redis-server`` and the PostgreSQL server binaries on the machine (the
scripts start their own Redis on 6391-6395 and a cluster on 5439), and root or the
postgres user for that cluster.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
RESULT_PREFIX = "RESULT "


@dataclass(frozen=True)
class Suite:
    name: str
    full: list[str]
    quick: list[str]
    what: str


SUITES = [
    Suite(
        "fuzz",
        ["bench/schemathesis_api.sh", "20"],
        ["bench/schemathesis_api.sh", "5"],
        "Schemathesis, every check over every API operation, as a complainant and as staff",
    ),
    Suite(
        "bad_uploads",
        [PY, "-m", "pytest", "tests/security", "-q", "-p", "no:cacheprovider"],
        [PY, "-m", "pytest", "tests/security", "-q", "-p", "no:cacheprovider"],
        "the hostile-upload corpus, sign-in lockouts, headers, Redis or the database down",
    ),
    Suite(
        "sweeps_and_beats",
        [PY, "bench/faults/sweeps_and_beats.py", "--seconds", "120"],
        [PY, "bench/faults/sweeps_and_beats.py", "--seconds", "20", "--cases", "100"],
        "8 concurrent sweeps and two beats",
    ),
    Suite(
        "kill_mid_sweep",
        [PY, "bench/faults/kill_mid_sweep.py"],
        [PY, "bench/faults/kill_mid_sweep.py", "--cases", "50", "--random-kills", "4"],
        "SIGKILL after a commit, mid-batch and at random",
    ),
    Suite(
        "worker_kill",
        [PY, "bench/faults/worker_kill.py"],
        [PY, "bench/faults/worker_kill.py", "--cases", "40"],
        "a Celery pool process, then the main process, killed mid-task",
    ),
    Suite(
        "redis_outage",
        [PY, "bench/faults/redis_outage.py"],
        [
            PY,
            "bench/faults/redis_outage.py",
            "--seconds",
            "30",
            "--down-at",
            "8",
            "--down-for",
            "8",
        ],
        "Redis stopped while complainants file and upload",
    ),
    Suite(
        "pg_restart",
        [PY, "bench/faults/pg_restart.py"],
        [PY, "bench/faults/pg_restart.py", "--seconds", "24"],
        "PostgreSQL restarted (fast, then a crash) under filings",
    ),
    Suite(
        "load",
        [PY, "bench/load/run.py"],
        [
            PY,
            "bench/load/run.py",
            "--seconds",
            "40",
            "--settle",
            "15",
            "--complainants",
            "10",
            "--staff",
            "2",
            "--earlier",
            "30",
            "--no-latency-goals",
        ],
        "locust: complainants filing and browsing, staff on the admin list",
    ),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--skip", default="")
    return parser.parse_args()


def fuzz_checks(text: str) -> list[dict[str, object]]:
    """One line per persona from bench/schemathesis_api.sh."""
    checks: list[dict[str, object]] = []
    pattern = re.compile(
        r"^(\w+): operations (\S+), test cases (\S+), failures (\d+), server errors (\d+)",
        re.MULTILINE,
    )
    for persona, operations, cases, failures, errors in pattern.findall(text):
        checks.append(
            {
                "check": f"{persona}: failures ({operations} operations, {cases} cases)",
                "goal": "0",
                "figure": int(failures),
                "ok": int(failures) == 0,
            }
        )
        checks.append(
            {
                "check": f"{persona}: server errors",
                "goal": "0",
                "figure": int(errors),
                "ok": int(errors) == 0,
            }
        )
    return checks


def pytest_checks(text: str) -> list[dict[str, object]]:
    passed = re.search(r"(\d+) passed", text)
    failed = re.search(r"(\d+) (failed|error)", text)
    n_passed = int(passed.group(1)) if passed else 0
    n_failed = int(failed.group(1)) if failed else 0
    return [
        {"check": "tests passed", "goal": "> 0", "figure": n_passed, "ok": n_passed > 0},
        {"check": "tests failed", "goal": "0", "figure": n_failed, "ok": n_failed == 0},
    ]


def result_checks(text: str) -> list[dict[str, object]]:
    for line in reversed(text.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return list(json.loads(line[len(RESULT_PREFIX) :])["checks"])
    return []


def run(suite: Suite, argv: list[str]) -> tuple[list[dict[str, object]], int, float]:
    print(f"\n===== {suite.name}: {suite.what}\n$ {' '.join(argv)}", flush=True)
    env = dict(os.environ)
    if suite.name == "fuzz":
        # Its own port and folder: another run of the script may be using the defaults.
        env.update(PORT="8796", OUT=tempfile.mkdtemp(prefix="kamen-verify-fuzz-"))
    started = time.monotonic()
    process = subprocess.Popen(  # our own argv
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if " INFO " not in line and not line.startswith(RESULT_PREFIX):
            print(line, end="", flush=True)
    code = process.wait()
    if suite.name == "fuzz" and not os.environ.get("KEEP_TEMP"):
        shutil.rmtree(env["OUT"], ignore_errors=True)
    text = "".join(lines)
    if suite.name == "fuzz":
        checks = fuzz_checks(text)
    elif suite.name == "bad_uploads":
        checks = pytest_checks(text)
    else:
        checks = result_checks(text)
    if code != 0 and all(c["ok"] for c in checks):
        checks.append({"check": "exit code", "goal": "0", "figure": code, "ok": False})
    if not checks:
        checks = [{"check": "reported its figures", "goal": "yes", "figure": "no", "ok": False}]
    return checks, code, time.monotonic() - started


def main() -> int:
    args = parse_args()
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - {s.name for s in SUITES}
    if unknown:
        sys.exit(
            f"unknown suite(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(s.name for s in SUITES)}"
        )
    results = []
    for suite in SUITES:
        if (only and suite.name not in only) or suite.name in skip:
            continue
        checks, _code, seconds = run(suite, suite.quick if args.quick else suite.full)
        results.append((suite, checks, seconds))
    print("\n===== summary" + (" (--quick)" if args.quick else ""))
    width = max(len(str(c["check"])) for _, checks, _ in results for c in checks)
    print(f"  {'script':17} {'check'.ljust(width)} {'goal':>10} {'figure':>10}  result")
    failed = 0
    for suite, checks, seconds in results:
        for i, c in enumerate(checks):
            name = suite.name if i == 0 else ""
            mark = "pass" if c["ok"] else "FAIL"
            failed += not c["ok"]
            print(
                f"  {name:17} {str(c['check']).ljust(width)} {c['goal']!s:>10} "
                f"{c['figure']!s:>10}  {mark}"
            )
        print(f"  {'':17} ({seconds:.0f} s)")
    total = sum(len(checks) for _, checks, _ in results)
    print(f"\n{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
