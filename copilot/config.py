"""All settings, loaded in one place.

Values come from `COPILOT_*` environment variables (nested groups use a double
underscore, e.g. `COPILOT_IMAP__HOST`) and from an optional TOML file: the path
in `COPILOT_CONFIG`, else `./copilot.toml` when it exists. Environment wins. A database
named explicitly (`--db`) that has a `copilot.toml` beside it uses that file instead:
a database carries its own settings (the demo's identity, outbox and clock).
Nothing else in the product reads the environment.
"""

import os
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from copilot import redact
from copilot.errors import ConfigError

ENV_PREFIX = "COPILOT_"


class ImapSettings(BaseModel):
    name: str | None = None  # label for this mailbox in cursors and messages; defaults to username@host
    host: str | None = None
    port: int = Field(993, ge=1, le=65535)
    tls: bool = True
    ca_file: Path | None = None  # extra certificates to trust, for a server with a private CA
    username: str | None = None
    password: SecretStr | None = None
    oauth2_token: SecretStr | None = None
    folders: list[str] = ["INBOX"]
    processed_keyword: str | None = None
    processed_folder: str | None = None
    sent_folder: str = "Sent"
    idle: bool = True
    idle_renew_seconds: int = Field(600, ge=10, le=1740)
    poll_interval_seconds: int = Field(60, ge=1)
    max_attachment_bytes: int = Field(1_000_000, ge=0)
    max_message_bytes: int = Field(50_000_000, ge=1024)
    backoff_max_seconds: int = Field(300, ge=1)
    backoff_base_seconds: float = Field(1.0, gt=0)
    timeout_seconds: float = Field(60, gt=0)
    fetch_batch: int = Field(100, ge=1, le=1000)

    @property
    def label(self) -> str:
        """The mailbox's name in cursors and stored messages."""
        return self.name or f"{self.username or 'anonymous'}@{self.host or 'localhost'}"

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> "ImapSettings":
        if not self.tls and self.host not in (None, "127.0.0.1", "localhost", "::1"):
            raise ValueError("tls may only be turned off for a loopback host (127.0.0.1, localhost or ::1)")
        return self


class SmtpSettings(BaseModel):
    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = "ar@localhost"
    from_name: str = "Accounts Receivable"
    message_id_domain: str | None = None
    timeout_seconds: float = Field(30, gt=0)

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> "SmtpSettings":
        if self.security == "none" and self.host not in (None, "127.0.0.1", "localhost", "::1"):
            raise ValueError("security 'none' is only allowed for a loopback host (127.0.0.1, localhost or ::1)")
        return self


class LlmSettings(BaseModel):
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    structured_method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    timeout_seconds: float = Field(30, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    max_input_chars: int = Field(4000, ge=200)
    corrected_examples: int = Field(3, ge=0, le=10)  # this mailbox's similar corrected replies shown as precedents
    corrected_example_chars: int = Field(500, ge=50, le=4000)  # each cut to this length
    input_cost_per_million: float = Field(0.0, ge=0)
    output_cost_per_million: float = Field(0.0, ge=0)

    @property
    def configured(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())


class ClassifierSettings(BaseModel):
    mode: Literal["local", "llm", "auto"] = "auto"
    llm_threshold: float = Field(0.75, ge=0, le=1)
    review_threshold: float = Field(0.45, ge=0, le=1)
    model_path: Path | None = None
    team_weight: float = Field(3.0, gt=0, le=100)  # `copilot train`: how much one of the team's own examples counts
    max_test_drop: float = Field(0.03, ge=0, le=1)  # `copilot train`: largest macro-F1 loss on the shipped test split


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    send_hold_seconds: int = Field(10, ge=1, le=120)  # approve-and-send waits this long, with Undo, before sending
    timezone: str = "UTC"  # the team's time zone: every time on a screen is shown in it, with its name

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as 'Europe/London' or 'UTC'") from None
        return value


class ReportingSettings(BaseModel):
    """One currency for totals and sorting across currencies; amounts are still shown in their own currency."""

    currency: str = "USD"
    rates: dict[str, Decimal] = {}  # units of the reporting currency for one unit of each other currency
    rates_date: date | None = None  # the day the rates were taken, shown beside every converted figure

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"{value!r} is not a three-letter currency code")
        return value.upper()

    @field_validator("rates")
    @classmethod
    def _positive_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        out = {}
        for code, rate in value.items():
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"{code!r} is not a three-letter currency code")
            if rate <= 0:
                raise ValueError(f"the rate for {code.upper()} must be above zero")
            out[code.upper()] = rate
        return out

    def rate(self, currency: str | None) -> Decimal | None:
        """Units of the reporting currency per unit of `currency`; None when no rate is set."""
        if not currency:
            return None
        code = currency.upper()
        return Decimal(1) if code == self.currency else self.rates.get(code)


class AlertSettings(BaseModel):
    webhook_url: SecretStr | None = None  # Slack-compatible incoming webhook; the URL itself is a credential
    collector_email: str | None = None  # where collector alerts (bounces) go; defaults to smtp.from_address
    max_attempts: int = Field(5, ge=1)
    retry_base_seconds: int = Field(60, ge=1)  # first retry after this long, doubling each time
    retry_max_seconds: int = Field(3600, ge=1)
    webhook_timeout_seconds: float = Field(10, gt=0)

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value() if value else ""
        if value is not None and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("the webhook URL must use https:// (plain http only on loopback)")
        return value


class DraftingSettings(BaseModel):
    """Who reminders come from, and whether an LLM writes them."""

    generator: Literal["auto", "template", "llm"] = "auto"  # auto = the LLM when one is configured
    company_name: str | None = None
    collector_name: str = "Accounts Receivable"
    collector_title: str | None = None
    senior_name: str = "Accounts Receivable Manager"
    senior_title: str | None = None
    senior_email: str | None = None  # Reply-To on Tier 3-4 mail; the From address stays smtp.from_address
    stuck_send_minutes: int = Field(10, ge=1)  # a send left in `sending` this long is reconciled


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    db_path: Path = Path("copilot.db")
    demo: bool = False  # the built-in demo: placeholder sender identities are allowed
    policy_path: Path | None = None
    today: date | None = None
    outbox_dir: Path | None = None
    dispute_owner_email: str | None = None
    imap: ImapSettings = ImapSettings()
    mailboxes: list[ImapSettings] = []  # further IMAP accounts polled alongside `imap`
    smtp: SmtpSettings = SmtpSettings()
    llm: LlmSettings = LlmSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    web: WebSettings = WebSettings()
    alerts: AlertSettings = AlertSettings()
    drafting: DraftingSettings = DraftingSettings()
    reporting: ReportingSettings = ReportingSettings()

    @model_validator(mode="after")
    def _register_secrets(self) -> "Settings":
        # From here on, no message, log line or stored error may show any of these values.
        redact.register_settings(self)
        return self

    @field_validator("policy_path")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no policy file at {value}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        beside = _file_beside_db(getattr(init_settings, "init_kwargs", {}).get("db_path"))
        if beside is not None:
            sources.append(_DatabaseSettingsSource(settings_cls, toml_file=beside))
            return tuple(sources)
        toml_path = _config_file()
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


DB_SETTINGS_FILE = "copilot.toml"
_PATH_KEYS = ("db_path", "policy_path", "outbox_dir")


def _file_beside_db(db_path: object) -> Path | None:
    """The settings file kept beside a database named explicitly (`--db`), when there is one.

    A database carries its own settings this way (the demo keeps its identity, outbox and
    clock there), so pointing a command at it behaves as the product that built it did.
    """
    if db_path is None:
        return None
    candidate = Path(str(db_path)).parent / DB_SETTINGS_FILE
    return candidate if candidate.is_file() else None


class _DatabaseSettingsSource(TomlConfigSettingsSource):
    """A settings file beside a database: its relative paths are relative to its own folder."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path):
        super().__init__(settings_cls, toml_file=toml_file)
        folder = toml_file.parent
        for key in _PATH_KEYS:
            value = self.init_kwargs.get(key)
            if isinstance(value, str) and not Path(value).is_absolute():
                self.init_kwargs[key] = str(folder / value)


def write_db_settings(db_path: Path, values: dict[str, Any]) -> Path:
    """Write the settings file that travels with a database."""
    path = Path(db_path).parent / DB_SETTINGS_FILE
    path.write_text(tomli_w.dumps(values), encoding="utf-8")
    return path


def _config_file() -> Path | None:
    named = os.environ.get(ENV_PREFIX + "CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG points at {path}, which is not a file.")
        return path
    default = Path("copilot.toml")
    return default if default.is_file() else None


def _setting_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return ENV_PREFIX + "__".join(p.upper() for p in parts) if parts else "settings"


def _secret_fields(model: type[BaseModel] | None = None) -> frozenset[str]:
    """The names of every SecretStr setting, in any group."""
    names: set[str] = set()
    for name, field in (model or Settings).model_fields.items():
        for kind in _annotation_types(field.annotation):
            if kind is SecretStr:
                names.add(name)
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                names |= _secret_fields(kind)
    return frozenset(names)


def _annotation_types(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return [annotation]
    return [t for arg in args for t in _annotation_types(arg)]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = tuple(first.get("loc", ()))
    name = _setting_name(loc)
    message = first.get("msg", "is invalid").removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        return f"Unknown setting {name}; check the spelling against the README."
    given = first.get("input")
    secret = any(str(part) in _secret_fields() for part in loc)
    # A secret's value is never echoed, not even when it is of the wrong type or refused.
    shown = "" if secret or isinstance(given, dict) or given is None else f" (got {given!r})"
    extra = [given] if isinstance(given, str) else []
    return redact.redact(f"Setting {name} is wrong: {message}{shown}.", extra=extra if secret else [])


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment and config file; raise ConfigError in one sentence."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML; its text may quote a secret
        raise ConfigError(redact.redact(f"The settings file could not be read: {exc}.")) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
