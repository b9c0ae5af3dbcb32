"""Optional later stages of intake: classification and routing, used when those features are present."""

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from copilot.config import Settings
from copilot.labels import Classifier
from copilot.policy import Policy
from copilot.store import Store


def _feature(module: str, name: str) -> Any | None:
    # find_spec tells "not there" apart from "there but broken", which must still raise.
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except ModuleNotFoundError:
        return None
    return getattr(importlib.import_module(module), name, None)


def classifier_for(settings: Settings, store: Store) -> Classifier | None:
    """The configured classifier, or None where this build has no classifier factory yet."""
    build = _feature("copilot.classify", "build_classifier")
    return None if build is None else build(settings, store=store)


def router_for(settings: Settings, policy: Policy) -> Callable[[Store, int], object] | None:
    """A router callback `(store, message_id)`, or None where this build has no routing."""
    route = _feature("copilot.routing", "route_message")
    if route is None:
        return None
    return lambda store, message_id: route(store, message_id, policy, settings)
