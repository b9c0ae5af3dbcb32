"""The labelled-reply JSONL format: one reply per line, validated with a clear message per bad line."""

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copilot.errors import CopilotError
from copilot.labels import Label, Reply

# A promise further out than this from the reply's date is almost certainly a labelling slip.
MAX_PROMISE_DAYS = 366


class DatasetError(CopilotError):
    """A dataset file was refused; `problems` lists (line, message) pairs."""

    def __init__(self, path: str, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        shown = problems[:20]
        lines = "\n".join(f"  line {line}: {msg}" if line else f"  {msg}" for line, msg in shown)
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{path} is not a valid labelled set ({len(problems)} problem(s)):\n{lines}{more}")


class LabelledReply(BaseModel):
    """One labelled reply: what the classifier sees plus the expected answer."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    subject: str = ""
    text: str
    date: dt.date | None = None
    headers: dict[str, str] = {}
    label: Label
    alternates: list[Label] = []
    frustrated: bool
    promise_date: dt.date | None = None
    lang: str | None = None  # ISO 639-1 code; used to stratify splits and slice scores
    slice: str | None = None  # the pattern a reply stands for (greeting-line, bank-advice, ...); scores are reported per slice
    weight: float = Field(default=1.0, gt=0.0, le=10.0)  # how much the reply counts in training (one of n wrappings: 1/n)

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "LabelledReply":
        if self.label in self.alternates:
            raise ValueError(f"alternates repeats the label {self.label.value!r}")
        if self.label is Label.FRUSTRATION and not self.frustrated:
            raise ValueError("label frustration needs frustrated: true")
        if len(set(self.alternates)) != len(self.alternates):
            raise ValueError("alternates lists a label twice")
        if self.promise_date is not None:
            if Label.PROMISE_TO_PAY not in (self.label, *self.alternates):
                raise ValueError("promise_date is set but neither label nor alternates is promise_to_pay")
            if self.date is not None:
                ahead = (self.promise_date - self.date).days
                if ahead < 0:
                    raise ValueError(f"promise_date {self.promise_date} is before the reply's date {self.date}")
                if ahead > MAX_PROMISE_DAYS:
                    raise ValueError(f"promise_date {self.promise_date} is more than a year after the reply's date")
        return self

    @property
    def accepted(self) -> frozenset[Label]:
        """Every label scored as correct for this reply."""
        return frozenset((self.label, *self.alternates))

    @property
    def escalate(self) -> bool:
        """The routing rule: escalate on the frustration label or the frustrated flag."""
        return self.label is Label.FRUSTRATION or self.frustrated

    def to_reply(self) -> Reply:
        """What a classifier is shown: the reply without its labels."""
        return Reply(subject=self.subject, text=self.text, full_text=self.text, sent_at=self.date, headers=self.headers)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_lines(lines: Iterable[str], path: str = "<dataset>") -> list[LabelledReply]:
    """Parse JSONL text into labelled replies; every problem is collected before raising DatasetError."""
    rows: list[LabelledReply] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(raw, dict):
            problems.append((number, f"expected a JSON object, got {type(raw).__name__}"))
            continue
        try:
            row = LabelledReply.model_validate(raw)
        except ValidationError as exc:
            ident = raw.get("id")
            problems.append((number, (f"id {ident!r}: " if isinstance(ident, str) else "") + _describe(exc)))
            continue
        if row.id in seen:
            problems.append((number, f"id {row.id!r} already used on line {seen[row.id]}"))
            continue
        seen[row.id] = number
        rows.append(row)
    if not rows and not problems:
        problems.append((0, "the file holds no replies"))
    if problems:
        raise DatasetError(path, problems)
    return rows


def load_dataset(path: Path) -> list[LabelledReply]:
    """Read and validate a labelled JSONL file."""
    try:
        with path.open(encoding="utf-8") as fh:
            return parse_lines(fh, str(path))
    except FileNotFoundError:
        raise DatasetError(str(path), [(0, "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(str(path), [(0, f"not UTF-8 text ({exc.reason})")]) from None


def dumps_row(row: LabelledReply) -> str:
    """One JSONL line, optional fields left out when empty."""
    data = row.model_dump(mode="json", exclude_none=True)
    if not data.get("headers"):
        data.pop("headers", None)
    if data.get("weight") == 1.0:
        data.pop("weight", None)
    return json.dumps(data, ensure_ascii=False)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):  # only when writing or renaming failed
            os.unlink(tmp)


def write_jsonl(path: Path, lines: Iterable[str]) -> None:
    """Write one line per item, atomically."""
    atomic_write(path, "".join(line + "\n" for line in lines))


def write_dataset(path: Path, rows: Iterable[LabelledReply]) -> None:
    """Write labelled replies as JSONL, atomically."""
    write_jsonl(path, (dumps_row(r) for r in rows))
