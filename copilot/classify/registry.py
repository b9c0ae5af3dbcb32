"""This database's own local models: trained on its corrections, stored in the database, versioned, one active.

No active model means the shipped one (trained from the shipped train split). A stored model is only used
while it matches the running feature version and scikit-learn; otherwise the shipped model answers and
`copilot model list` says the stored one needs retraining.
"""

import logging
import pickle
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copilot import clock
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.store import Store, dumps, loads

if TYPE_CHECKING:
    from copilot.classify.training import TrainedModel

log = logging.getLogger(__name__)

SHIPPED = "shipped"  # `copilot model use shipped` goes back to the built-in model
KEEP_WEIGHTS = 5  # a model is ~15 MB: older inactive versions keep their record and scores but drop their weights


@dataclass(frozen=True)
class ModelInfo:
    """One stored model, without its weights."""

    version: int
    created_at: str
    created_by: str | None
    status: str  # trained | rejected
    active: bool
    reason: str | None
    digest: str
    corrections_upto: int  # the newest correction (classification id) it learned from
    sources: dict[str, Any]
    cv: dict[str, Any]
    test: dict[str, Any]
    baseline: dict[str, Any]
    forced: bool
    usable: bool  # trained with this release's features and scikit-learn; False too once its weights are dropped

    @property
    def name(self) -> str:
        return f"v{self.version}"


_COLUMNS = ("id, created_at, created_by, status, active, reason, digest, corrections_upto, sources_json, cv_json, "
            "test_json, baseline_json, forced, feature_version, sklearn_version, model is not null as has_weights")  # fmt: skip


def _release() -> tuple[str, str]:
    """The feature version and scikit-learn version a stored model must match (imported late: the web and the
    CLI read model records without loading scikit-learn)."""
    import sklearn

    from copilot.classify.local import FEATURE_VERSION

    return FEATURE_VERSION, sklearn.__version__


def _info(row: dict) -> ModelInfo:
    features, sklearn_version = _release()
    return ModelInfo(
        version=row["id"], created_at=row["created_at"], created_by=row["created_by"], status=row["status"],
        active=bool(row["active"]), reason=row["reason"], digest=row["digest"] or "",
        corrections_upto=row["corrections_upto"] or 0, sources=loads(row["sources_json"], {}),
        cv=loads(row["cv_json"], {}), test=loads(row["test_json"], {}), baseline=loads(row["baseline_json"], {}),
        forced=bool(row["forced"]),
        usable=bool(row["has_weights"]) and row["feature_version"] == features and row["sklearn_version"] == sklearn_version,
    )  # fmt: skip


def list_models(store: Store) -> list[ModelInfo]:
    """Every stored model, newest first."""
    return [_info(r) for r in store.db.query(f"select {_COLUMNS} from local_models order by id desc")]


def active_model_info(store: Store) -> ModelInfo | None:
    row = next(store.db.query(f"select {_COLUMNS} from local_models where active = 1 order by id desc limit 1"), None)
    return _info(row) if row else None


def active_digest(store: Store) -> str | None:
    """Which stored model is active (None: the shipped one), in one small query, for long-running pollers."""
    row = store.db.execute("select digest from local_models where active = 1 order by id desc limit 1").fetchone()
    return row[0] if row else None


def parse_version(text: str) -> int | None:
    """'v3' or '3' → 3; 'shipped' → None; anything else is refused."""
    value = text.strip().lower()
    if value == SHIPPED:
        return None
    digits = value.removeprefix("v")
    if not digits.isdigit():
        raise CopilotError(f"{text!r} is not a model version; give one like v3 (see `copilot model list`) or {SHIPPED!r}")
    return int(digits)


_MEMO: dict[str, "TrainedModel"] = {}
_LOCK = threading.Lock()


def load_active(store: Store) -> "TrainedModel | None":
    """The database's active model, or None for the shipped one. Read once per process and digest."""
    if not store.db["local_models"].exists():
        return None
    info = active_model_info(store)
    if info is None:
        return None
    if not info.usable:
        log.warning("model %s was trained by another release; using the shipped model until `copilot train` runs",
                    info.name)  # fmt: skip
        return None
    with _LOCK:
        if info.digest in _MEMO:
            return _MEMO[info.digest]
        blob = store.db.execute("select model from local_models where id = ?", [info.version]).fetchone()[0]
        model = pickle.loads(blob)  # written by save_model below into this database; never from outside
        from copilot.classify.training import TrainedModel

        if not isinstance(model, TrainedModel):
            raise CopilotError(f"model {info.name} in the database is not a classifier model")
        _MEMO[info.digest] = model
        return model


def save_model(
    store: Store,
    model: "TrainedModel",
    *,
    actor: str,
    activate: bool,
    forced: bool,
    reason: str | None,
    corrections_upto: int,
    sources: dict[str, Any],
    cv: dict[str, Any],
    test: dict[str, Any],
    baseline: dict[str, Any],
) -> ModelInfo:
    """Store a trained model as the next version; make it the active one when `activate`. Audited."""
    features, sklearn_version = _release()
    row = {
        "created_at": clock.now_iso(), "created_by": actor, "status": "trained" if activate or not reason else "rejected",
        "active": 0, "reason": reason, "feature_version": features, "sklearn_version": sklearn_version,
        "digest": model.digest, "corrections_upto": corrections_upto, "sources_json": dumps(sources),
        "cv_json": dumps(cv), "test_json": dumps(test), "baseline_json": dumps(baseline), "forced": int(forced),
        "model": pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),
    }  # fmt: skip
    with store.transaction():
        pk = store.insert("local_models", row)
        summary = {k: v for k, v in row.items() if k not in ("model", "cv_json", "test_json", "baseline_json")}
        store.audit(actor, "local_model", pk, "trained", reason=reason, after=summary)
        if activate:
            _activate(store, pk, actor, ("forced past the test-split check: " + reason) if forced and reason else None)
        store.db.execute(
            "update local_models set model = null where active = 0 and model is not null and id not in "
            "(select id from local_models order by id desc limit ?)", [KEEP_WEIGHTS],
        )  # fmt: skip
    return next(i for i in list_models(store) if i.version == pk)


def use_model(store: Store, version: str, actor: str, force: bool = False) -> ModelInfo | None:
    """Make a stored version (or the shipped model, None) the active one. Audited."""
    number = parse_version(version)
    with store.transaction():
        if number is None:
            _activate(store, None, actor, None)
            return None
        row = next(store.db.query(f"select {_COLUMNS} from local_models where id = ?", [number]), None)
        if row is None:
            raise NotFound(f"no model v{number} in this database (see `copilot model list`)")
        info = _info(row)
        if not info.usable:
            raise InvalidTransition(f"model {info.name} was trained by another release or its weights were dropped; "
                                    "run `copilot train` again")  # fmt: skip
        if info.status == "rejected" and not force:
            raise InvalidTransition(f"model {info.name} was not made active: {info.reason}; add --force to use it anyway")
        note = f"forced: {info.reason}" if info.status == "rejected" else None
        if note:
            store.db["local_models"].update(number, {"forced": 1})
        _activate(store, number, actor, note)
    return next(i for i in list_models(store) if i.version == number)


def _activate(store: Store, pk: int | None, actor: str, note: str | None) -> None:
    before = active_model_info(store)
    if (before.version if before else None) == pk:
        return
    store.db.execute("update local_models set active = 0 where active = 1")
    if pk is not None:
        store.db.execute("update local_models set active = 1 where id = ?", [pk])
    store.audit(actor, "local_model", pk if pk is not None else SHIPPED, "activated", reason=note,
                before={"active": before.name if before else SHIPPED}, after={"active": f"v{pk}" if pk else SHIPPED})  # fmt: skip


def latest_correction_id(store: Store) -> int:
    """The id of the newest human classification of an inbound reply (0 when there is none)."""
    row = store.db.execute(
        "select max(c.id) from classifications c join messages m on m.id = c.message_id "
        "where c.source = 'human' and m.direction = 'inbound'"
    ).fetchone()
    return row[0] or 0


def corrections_waiting(store: Store) -> int:
    """Corrections made since the active model was trained (all of them while the shipped model is active)."""
    info = active_model_info(store)
    upto = info.corrections_upto if info else 0
    return store.db.execute(
        "select count(distinct c.message_id) from classifications c join messages m on m.id = c.message_id "
        "where c.source = 'human' and m.direction = 'inbound' and c.id > ?",
        [upto],
    ).fetchone()[0]
