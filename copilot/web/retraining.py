""""Retrain now" from the inbox: training runs in a background thread, one run per database at a time.

Training takes about fifteen seconds, too long for a web request. Each run is a row in `retrain_runs`
(running, then done with its outcome in words, or failed with the reason), so the inbox shows
"Training…" and then how it ended on the next page load, and a second click while a run is going is
refused. The start and the outcome are audited. The thread opens its own Store connection: the
request's is closed as soon as the response is sent.

A run left `running` by a process that has exited (the row records its pid and host) no longer blocks
a new one: the next start records it as failed. Nothing here waits with a timeout.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot import clock
from copilot.drafting.outbox import owner_gone
from copilot.errors import ClassifierError, CopilotError, InvalidTransition
from copilot.evaluation.corrections import correction_rows
from copilot.redact import redact
from copilot.store import Store
from copilot.wording import person

if TYPE_CHECKING:
    from copilot.classify.retrain import TrainOutcome
    from copilot.config import Settings

log = logging.getLogger(__name__)

Work = Callable[[], None]
Runner = Callable[[Work], Any]  # starts the work somewhere else and returns at once
Trainer = Callable[..., "TrainOutcome"]
ENTITY = "retrain_run"

_lock = threading.Lock()
_in_flight: set[tuple[str, int]] = set()  # (database, run id) whose work this process has not finished


class AlreadyRunning(InvalidTransition):
    """A run is already going on this database."""


def in_thread(work: Work) -> threading.Thread:
    """The production runner: a daemon thread, so a stopping server is not held up by training."""
    thread = threading.Thread(target=work, name="copilot-retrain", daemon=True)
    thread.start()
    return thread


def _key(store: Store) -> str:
    return store.path if store.path == ":memory:" else str(Path(store.path).resolve())


def _abandoned(key: str, row: dict) -> bool:
    """True when nothing can still be working on this running row: its process exited or never got to it."""
    if (key, row["id"]) in _in_flight:
        return False
    if row["pid"] == os.getpid() and row["host"] == socket.gethostname():
        return True  # this process started it and its work has ended without recording an outcome
    return owner_gone({"sending_pid": row["pid"], "sending_host": row["host"]})


def latest_run(store: Store) -> dict | None:
    """The newest run, for the inbox; a running row nobody works on any more reads as `interrupted` (not written)."""
    row = next(store.db["retrain_runs"].rows_where(order_by="id desc", limit=1), None)
    if row is not None and row["status"] == "running" and _abandoned(_key(store), row):
        row = {**row, "status": "interrupted"}
    return row


def outcome_words(outcome: "TrainOutcome") -> str:
    """How a finished run ended, as the inbox says it."""
    if outcome.activated:
        return (f"Model {outcome.model.name} trained on {outcome.counts.get('corrections', 0)} correction(s) "
                "and now classifies new replies.")  # fmt: skip
    return f"Model {outcome.model.name} was trained but not made active: {outcome.reason}."


def failure_words(exc: BaseException) -> str:
    """Why a run failed: a product error in its own words, anything else named; secrets never shown."""
    text = str(exc) if isinstance(exc, CopilotError) else f"an unexpected error ({type(exc).__name__}: {exc})"
    return redact(text)


def _finish(store: Store, run_id: int, actor: str, status: str, outcome: str, **extra: Any) -> None:
    change = {"status": status, "finished_at": clock.now_iso(), "outcome": outcome, **extra}
    with store.transaction():
        store.db["retrain_runs"].update(run_id, change)
        what = "Training of the local model finished" if status == "done" else "Training of the local model failed"
        store.audit(actor, ENTITY, run_id, "finished" if status == "done" else "failed", reason=f"{what}: {outcome}",
                    before={"status": "running"}, after={k: v for k, v in change.items() if k != "outcome"})  # fmt: skip


def start_retrain(store: Store, settings: "Settings", actor: str, *, runner: Runner = in_thread,
                  train: Trainer | None = None) -> int:  # fmt: skip
    """Record a new run and hand the training to `runner`; returns the run's id at once.

    Raises AlreadyRunning while another run is going on this database, and ClassifierError when there is
    nothing to learn (checked here, so the person hears it now rather than on the next page).
    """
    if not correction_rows(store)[0]:
        raise ClassifierError("nothing new to learn: the database holds no corrected replies")
    key = _key(store)
    with _lock, store.transaction():
        running = next(store.db["retrain_runs"].rows_where("status = 'running'", order_by="id", limit=1), None)
        if running is not None:
            if not _abandoned(key, running):
                raise AlreadyRunning(f"Training is already running: {person(running['started_by'])} started it at "
                                     f"{running['started_at'][11:16]} UTC")  # fmt: skip
            _finish(store, running["id"], running["started_by"], "failed",
                    "the process running it stopped before it ended")  # fmt: skip
        run = {"status": "running", "started_by": actor, "started_at": clock.now_iso(), "pid": os.getpid(),
               "host": socket.gethostname()}  # fmt: skip
        run_id = store.db["retrain_runs"].insert(run).last_pk
        store.audit(actor, ENTITY, run_id, "started", after={"status": "running"},
                    reason=f"{person(actor)} started training the local model on the team's corrections.")  # fmt: skip
        _in_flight.add((key, run_id))
    work = _work(store.path, settings, actor, run_id, key, train)
    try:
        runner(work)
    except Exception as exc:  # noqa: BLE001 -- a thread that cannot start must not leave the run "running"
        _in_flight.discard((key, run_id))
        _finish(store, run_id, actor, "failed", failure_words(exc))
        raise
    return run_id


def _work(path: str, settings: "Settings", actor: str, run_id: int, key: str, train: Trainer | None) -> Work:
    def run() -> None:
        try:
            with Store.open(path) as store:  # its own connection: the request's is gone by now
                trainer = train
                if trainer is None:
                    from copilot.classify.retrain import retrain as trainer  # scikit-learn: imported when used
                try:
                    outcome = trainer(store, settings, actor=actor)
                except Exception as exc:  # noqa: BLE001 -- the run's outcome is recorded whatever went wrong
                    log.exception("retraining failed")
                    _finish(store, run_id, actor, "failed", failure_words(exc))
                else:
                    _finish(store, run_id, actor, "done", outcome_words(outcome), model=outcome.model.name,
                            activated=int(outcome.activated))  # fmt: skip
        finally:
            _in_flight.discard((key, run_id))

    return run
