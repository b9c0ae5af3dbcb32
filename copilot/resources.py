"""Locate the data folders shipped with the product (prompts, templates, datasets, demo data)."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _find(name: str, packaged: str) -> Path:
    # A source checkout keeps them at the top level; a wheel carries them in _resources.
    for candidate in (_REPO / name, _PACKAGE / "_resources" / packaged):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name!r} folder is missing from this installation")


def prompts_dir() -> Path:
    return _find("prompts", "prompts")


def templates_dir() -> Path:
    return _find("templates", "templates")


def datasets_dir() -> Path:
    return _find("eval/datasets", "datasets")


def demo_data_dir() -> Path:
    return _PACKAGE / "demo" / "data"


def default_policy_path() -> Path:
    return _PACKAGE / "policy" / "default_policy.toml"
