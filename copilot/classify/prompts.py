"""The classification prompt: a versioned YAML file loaded into a strict model and rendered with Jinja2."""

import json
import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import yaml
from jinja2 import Environment, StrictUndefined, TemplateError
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from copilot.classify.schema import ClassifyAnswer
from copilot.errors import ConfigError
from copilot.labels import Label
from copilot.resources import prompts_dir

if TYPE_CHECKING:
    from copilot.classify.fewshot import CorrectedExample

_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)
# The email may not close or reopen the delimiters that mark it as data.
_DELIMITER = re.compile(r"<\s*/?\s*email\s*>", re.IGNORECASE)


P = TypeVar("P", bound=BaseModel)


def read_prompt_file(model: type[P], path: Path, what: str) -> P:
    """A YAML prompt file validated as `model`; a broken file is a configuration error naming what is wrong."""
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"the {what} prompt {path} is invalid: {exc}") from None


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: str
    triggers: str


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    answer: ClassifyAnswer


class ClassifyPrompt(BaseModel):
    """A versioned classification prompt with label definitions, few-shot examples and templates."""

    model_config = ConfigDict(extra="forbid")

    version: str
    labels: dict[Label, LabelSpec]
    system: str
    user: str
    corrected: str  # the team's corrected replies, put before `user` only when there are any
    repair: str
    examples: list[Example]

    @model_validator(mode="after")
    def _every_label_defined(self) -> "ClassifyPrompt":
        missing = [label.value for label in Label if label not in self.labels]
        if missing:
            raise ValueError(f"labels without a definition: {', '.join(missing)}")
        return self

    def render(
        self, subject: str, email: str, sent_at: date | None, corrected: Sequence["CorrectedExample"] = ()
    ) -> tuple[str, str]:
        """The system and user messages for one reply, with this mailbox's similar corrected replies when given.

        Without corrected replies the messages are exactly what they were before the block existed.
        """
        day = sent_at.isoformat() if sent_at else "unknown"
        examples = [
            {"email": ex.email, "answer_json": ex.answer.model_dump_json(exclude_none=True)} for ex in self.examples
        ]
        labels = {label.value: spec for label, spec in self.labels.items()}
        system = _render(self.system, labels=labels, examples=examples, sent_at=day)
        user = _render(self.user, subject=neutralise(subject), email=neutralise(email), sent_at=day)
        if corrected:
            shown = [{"email": neutralise(ex.text), "label": ex.label, "frustrated": ex.frustrated} for ex in corrected]
            user = _render(self.corrected, examples=shown) + "\n\n" + user
        return system, user

    def render_repair(self, error: str) -> str:
        return _render(self.repair, error=error[:500], label_names=", ".join(label.value for label in Label))


def neutralise(text: str) -> str:
    """The text with anything that looks like our data delimiters defused."""
    return _DELIMITER.sub("[email]", text)


def _render(template: str, **values: object) -> str:
    try:
        return _ENV.from_string(template).render(**values).strip()
    except TemplateError as exc:
        raise ConfigError(f"the classification prompt does not render: {exc}") from None


def load_prompt(path: Path | None = None) -> ClassifyPrompt:
    """Read and validate a classification prompt file; raise ConfigError naming what is wrong."""
    path = path or prompts_dir() / "classify.yaml"
    return _load(path, path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int) -> ClassifyPrompt:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the classification prompt {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"the classification prompt {path} is not valid YAML: {exc}") from None
    try:
        return ClassifyPrompt.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ConfigError(f"the classification prompt {path} is invalid at {where}: {first['msg']}") from None


def answer_json(answer: ClassifyAnswer) -> str:
    return json.dumps(answer.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
