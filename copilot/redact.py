"""Keeping secrets out of every message, log line and stored error.

Every secret in the settings (passwords, tokens, API keys, the session key, the webhook URL) is
registered when the settings are built. `redact(text)` replaces each registered secret, and a
few credential shapes that can turn up without being configured here (bearer tokens, API keys
echoed by a provider, passwords inside URLs), with `[redacted]`. `install()` makes every log
record pass through `RedactingFilter` as it is created, whichever handler later writes it.
"""

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, SecretStr

REPLACEMENT = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter values would blank out ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Credential shapes redacted whether or not they were configured here.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REPLACEMENT}"),
    (re.compile(r"\b(sk|xox[abposr])-[A-Za-z0-9_*.-]{6,}"), REPLACEMENT),
    (re.compile(r"(?i)\b(https?://[^\s:/@\"']+:)[^\s@/\"']+@"), rf"\1{REPLACEMENT}@"),
    (re.compile(r"(?i)https://hooks\.slack\.com/[^\s\"'<>]+"), REPLACEMENT),
    (re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token|sig|signature|password)=)[^&\s\"'<>]+"),
     rf"\1{REPLACEMENT}"),
    (re.compile(r"(?i)(\"?(?:api[_-]?key|authorization|password|secret|token)\"?\s*[:=]\s*\"?)[^\s\"',;&}]{6,}"),
     rf"\1{REPLACEMENT}"),
)  # fmt: skip


def _value(secret: str | SecretStr | None) -> str:
    if isinstance(secret, SecretStr):
        return secret.get_secret_value()
    return secret or ""


def register(*secrets: str | SecretStr | None) -> None:
    """Remember secrets so that `redact` removes them from any text from now on."""
    global _pattern
    added = {v for v in (_value(s) for s in secrets) if len(v) >= MIN_SECRET_LENGTH}
    with _lock:
        if added <= _secrets:
            return
        _secrets.update(added)
        # Longest first, so a secret that contains another is removed whole.
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def secrets_in(model: Any) -> list[SecretStr]:
    """Every SecretStr inside a settings model, its nested groups and lists of groups."""
    found: list[SecretStr] = []
    if isinstance(model, SecretStr):
        found.append(model)
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            found.extend(secrets_in(getattr(model, name)))
    elif isinstance(model, (list, tuple)):
        for item in model:
            found.extend(secrets_in(item))
    return found


def register_settings(settings: BaseModel) -> None:
    register(*secrets_in(settings))


def redact(text: Any, extra: Iterable[str | SecretStr | None] = ()) -> str:
    """The text with every registered secret (and `extra` ones) and every credential shape replaced."""
    out = str(text)
    for secret in extra:
        value = _value(secret)
        if len(value) >= MIN_SECRET_LENGTH:
            out = out.replace(value, REPLACEMENT)
    pattern = _pattern
    if pattern is not None:
        out = pattern.sub(REPLACEMENT, out)
    for shape, replacement in _SHAPES:
        out = shape.sub(replacement, out)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message and any traceback text of each record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_installed = False


def install() -> None:
    """Redact every log record when it is created, so no handler (configured now or later) sees a secret."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()
    scrub = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub.filter(record)
        return record

    logging.setLogRecordFactory(factory)
