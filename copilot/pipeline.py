"""Optional later stages of intake: classification and routing, used when those features are installed."""

import importlib.util
from collections.abc import Callable

from copilot.config import Settings
from copilot.labels import Classifier
from copilot.policy import Policy
from copilot.store import Store


def _present(module: str) -> bool:
    # find_spec tells "not there" apart from "there but broken", which must still raise.
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def classifier_for(settings: Settings, store: Store) -> Classifier | None:
    """The configured classifier, or None where the classifier feature is not part of this build."""
    if not _present("copilot.classify"):
        return None
    from copilot.classify import build_classifier  # type: ignore[import-not-found]

    return build_classifier(settings, store=store)


def router_for(settings: Settings, policy: Policy) -> Callable[[Store, int], object] | None:
    """A router callback `(store, message_id)`, or None where routing is not part of this build."""
    if not _present("copilot.routing"):
        return None
    from copilot.routing import route_message  # type: ignore[import-not-found]

    return lambda store, message_id: route_message(store, message_id, policy, settings)
