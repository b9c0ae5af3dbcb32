"""Peak memory of a burst of parallel sign-ins, with the hash cap against no cap, and the cost of a session check.

Run by hand from the repository root:  python bench/bench_login_memory.py [--logins 40]
Each argon2 hash takes about 64 MiB, so without a cap 40 parallel sign-ins hold about 2.5 GB at once.
Each configuration runs in its own process (peak RSS is per process) on the same machine, and the
script prints the ratio of the two peaks, so the result holds anywhere.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.store import Store  # noqa: E402
from copilot.web import users  # noqa: E402


def burst(logins: int, slots: int) -> None:
    """One process: `logins` wrong-password sign-ins at once through `slots` hash slots; prints peak RSS in MiB."""
    users.HASH_SLOTS = users.HashSlots(slots)
    db = Path(tempfile.mkdtemp()) / "bench.db"
    with Store.open(db) as store:
        users.create_user(store, "casey", "correct-horse-battery", "collector", actor="bench")

    def attempt() -> None:
        with Store.open(db) as store:
            users.authenticate(store, "casey", "a-wrong-password")

    threads = [threading.Thread(target=attempt) for _ in range(logins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def session_check_us(rounds: int = 2000) -> float:
    """Microseconds per server-side session lookup (what every request now pays)."""
    db = Path(tempfile.mkdtemp()) / "sessions.db"
    with Store.open(db) as store:
        uid = users.create_user(store, "casey", "correct-horse-battery", "collector", actor="bench")
        for _ in range(200):  # other people's sessions in the table
            users.start_session(store, {"id": uid, "username": "casey"})
        token = users.start_session(store, {"id": uid, "username": "casey"})
        start = time.perf_counter()
        for _ in range(rounds):
            assert users.session_user(store, token) is not None
        return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        burst(*args.child)
        return
    peaks = {}
    for slots in (users.MAX_CONCURRENT_HASHES, args.logins):
        out = subprocess.run([sys.executable, __file__, "--child", str(args.logins), str(slots)], check=True,
                             capture_output=True, text=True)  # fmt: skip
        peaks[slots] = float(out.stdout.strip().splitlines()[-1])
    capped, uncapped = peaks[users.MAX_CONCURRENT_HASHES], peaks[args.logins]
    print(f"{args.logins} parallel sign-ins: peak RSS {capped:.0f} MiB with {users.MAX_CONCURRENT_HASHES} hash slots, "
          f"{uncapped:.0f} MiB uncapped (ratio {uncapped / capped:.1f}x)")  # fmt: skip
    print(f"server-side session check: {session_check_us():.0f} us per request")


if __name__ == "__main__":
    main()
