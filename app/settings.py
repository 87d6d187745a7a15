"""The one settings object, read once from the environment and an optional ``.env`` file."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alerts.links import is_public_url
from alerts.sender import FREE_CEILING, PAID_CEILING
from analysis.dates import check_interval, parse_duration
from scraping.guard import is_public_address

DEFAULT_DATABASE_URL = "sqlite:///data/policywatch.db"
POSTGRES_EXAMPLE = "postgresql://user:password@host/database"
BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "scraping" / "catalog.yaml"


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


def _within(shortest: str, longest: str) -> AfterValidator:
    """Bounds of a duration setting, written as it is typed: an absurd value would overflow a timer."""
    low, high = parse_duration(shortest), parse_duration(longest)

    def check(value: timedelta) -> timedelta:
        if not low <= value <= high:
            raise ValueError(f"must be between {shortest} and {longest}")
        return value

    return AfterValidator(check)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Interval = Annotated[Duration, AfterValidator(check_interval)]  # the catalog's `interval` bounds too


def _id_list(value: object) -> object:
    """``"123, -100456"``: Telegram ids separated by commas."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


IdList = Annotated[frozenset[int], NoDecode, BeforeValidator(_id_list)]


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone such as Asia/Shanghai or Europe/Berlin") from None
    return name


ZoneName = Annotated[str, AfterValidator(_zone)]


def _database_url(value: str) -> str:
    """A SQLAlchemy URL of a database we support (whether it can be opened is seen at start)."""
    try:
        backend = make_url(value).get_backend_name()
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL such as {DEFAULT_DATABASE_URL} or {POSTGRES_EXAMPLE}") from None
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"{backend!r} databases are not supported: use SQLite or PostgreSQL")
    return value


DatabaseUrl = Annotated[str, AfterValidator(_database_url)]


def _bearer_token(value: object) -> object:
    """Empty is unset; else at least 16 characters, too many to guess."""
    if value in ("", None):
        return None
    if len(str(value)) < 16:
        raise ValueError("must be at least 16 characters, e.g. from `openssl rand -hex 32`")
    return value


BearerToken = Annotated[SecretStr | None, BeforeValidator(_bearer_token)]


def _retention(value: object) -> object:
    """``all``, ``versions``, or a number of days (``30``)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value.strip().lower() if isinstance(value, str) else value


def _channel(value: object) -> object:
    """A public channel's ``@username`` or a channel's id ``-100…``; empty is unset."""
    if value in ("", None):
        return None
    text = str(value).strip()
    if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", text) or re.fullmatch(r"-100\d{5,}", text):
        return text
    raise ValueError("must be a channel's @username or its id, such as @policywatch_cn or -1001234567890")


ChannelId = Annotated[str | None, BeforeValidator(_channel)]


def _webhook_secret(value: object) -> object:
    """Empty is unset; else a ``secret_token`` Telegram takes (A-Z a-z 0-9 _ -), too long to guess."""
    if value in ("", None):
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", str(value)):
        raise ValueError(
            "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -, e.g. from `openssl rand -hex 32`"
        )
    return value


WebhookSecret = Annotated[SecretStr | None, BeforeValidator(_webhook_secret)]
OptionalUrl = Annotated[AnyHttpUrl | None, BeforeValidator(lambda value: value or None)]  # empty is unset

# The only ports Telegram posts webhook updates to.
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})


def webhook_url_problem(url: AnyHttpUrl, allow_private_networks: bool) -> str | None:
    """Why Telegram could not post to ``url``, or None. ALLOW_PRIVATE_NETWORKS lets a self-hosted Bot API
    server (or a test's) post to any http(s) address."""
    if not re.fullmatch(r"/[A-Za-z0-9/_.~-]*", url.path or "/"):
        return "its path (the web app's route for Telegram) may hold only A-Z a-z 0-9 / _ . ~ -"
    if allow_private_networks:
        return None
    host = (url.host or "").strip("[]")
    try:
        is_public_host = is_public_address(host)
    except ValueError:  # a name, not an address
        is_public_host = is_public_url(f"https://{host}/")
    if url.scheme != "https" or not is_public_host:
        return "must be a public https URL, such as https://policywatch.example.org/telegram/webhook"
    if url.port not in WEBHOOK_PORTS:
        return "must use a port Telegram posts to: 443, 80, 88 or 8443"
    return None


SnapshotRetention = Annotated[
    Literal["all", "versions"] | Annotated[int, Field(ge=1)], BeforeValidator(_retention)
]


def _telegram_rate(value: float, info: ValidationInfo) -> float:
    """Up to Telegram's free 30 a second; up to 1,000 only with TELEGRAM_PAID_BROADCAST=true."""
    paid = info.data.get("TELEGRAM_PAID_BROADCAST", False)
    ceiling = PAID_CEILING if paid else FREE_CEILING
    if not 0 < value <= ceiling:
        more = (
            ""
            if paid
            else f"; up to {PAID_CEILING} with TELEGRAM_PAID_BROADCAST=true (paid in Telegram Stars)"
        )
        raise ValueError(f"must be above 0 and at most {ceiling} messages a second{more}")
    return value


class Settings(BaseSettings):
    """Configuration of PolicyWatch; every field is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    DATABASE_URL: DatabaseUrl = DEFAULT_DATABASE_URL
    CATALOG_PATH: Path = BUNDLED_CATALOG
    CHECK_INTERVAL: Interval = timedelta(hours=6)
    ALLOW_PRIVATE_NETWORKS: bool = False
    CONFIRM_DELAY: Annotated[Duration, _within("0s", "1d")] = timedelta(minutes=1)
    FETCH_TIMEOUT: Annotated[Duration, _within("1s", "10m")] = timedelta(seconds=30)
    SNAPSHOT_RETENTION: SnapshotRetention = "all"  # or "versions", or days for snapshots no version uses
    BROWSER_PATH: Path = Path("/usr/bin/chromium")
    WEB_HOST: str = "127.0.0.1"
    WEB_PORT: int = Field(default=8080, ge=1, le=65535)
    WEB_REQUEST_TIMEOUT: Annotated[Duration, _within("1s", "5m")] = timedelta(seconds=10)  # a whole request
    PUBLIC_URL: AnyHttpUrl = AnyHttpUrl("http://localhost:8080")
    METRICS_TOKEN: BearerToken = None  # /metrics for other clients than loopback ones
    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: AnyHttpUrl = AnyHttpUrl("https://api.deepseek.com")
    LLM_MODEL: str = "deepseek-chat"
    LLM_TIMEOUT: Annotated[Duration, _within("1s", "30m")] = timedelta(seconds=60)
    LLM_PRICE_INPUT: float | None = Field(default=None, ge=0)  # per million prompt tokens
    LLM_PRICE_OUTPUT: float | None = Field(default=None, ge=0)  # per million completion tokens
    LLM_DAILY_CALLS: int = Field(default=200, ge=0)  # model calls a UTC day; past it, automatic reports
    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org/bot"
    WEBHOOK_URL: OptionalUrl = None  # set: Telegram posts updates there instead of being polled
    WEBHOOK_SECRET: WebhookSecret = None  # the X-Telegram-Bot-Api-Secret-Token of those posts
    ADMIN_CHAT_IDS: IdList = frozenset()
    CHANNEL_ID: ChannelId = None  # a Telegram channel that gets every change once
    CHANNEL_LANGUAGE: Literal["zh", "en"] = "zh"
    TELEGRAM_PAID_BROADCAST: bool = False  # alerts carry allow_paid_broadcast: paid in Stars, up to 1,000/s
    TELEGRAM_RATE: Annotated[float, AfterValidator(_telegram_rate)] = 28.0  # alerts/s, all chats together
    TRACK_QUOTA: int = Field(default=10, ge=0)  # documents one chat may /track; admins are unlimited
    FAILURE_ALERT_AFTER: int = Field(default=3, ge=1)  # consecutive failed checks before admins hear
    DIGEST_AT: str = Field(
        default="mon 09:00", pattern=r"^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d$"
    )
    DIGEST_TIMEZONE: ZoneName = "Asia/Shanghai"
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _webhook_mode(self) -> "Settings":
        """WEBHOOK_URL needs WEBHOOK_SECRET, and an address Telegram can post to."""
        if self.WEBHOOK_URL is None:
            return self
        if problem := webhook_url_problem(self.WEBHOOK_URL, self.ALLOW_PRIVATE_NETWORKS):
            raise ValueError(f"WEBHOOK_URL: {problem}")
        if self.WEBHOOK_SECRET is None:
            raise ValueError("WEBHOOK_SECRET: required with WEBHOOK_URL, e.g. from `openssl rand -hex 32`")
        return self

    def secrets(self) -> list[str]:
        """The values the logs must never show."""
        secrets = (self.TELEGRAM_BOT_TOKEN, self.OPENAI_API_KEY, self.METRICS_TOKEN, self.WEBHOOK_SECRET)
        return [secret.get_secret_value() for secret in secrets if secret is not None]


class SettingsError(Exception):
    """A setting has an invalid value; the message names the variable."""


def _problem(location: tuple[int | str, ...], message: str) -> str:
    """``VARIABLE: what is wrong``; a check of several variables names them in its message."""
    return f"{'.'.join(str(part) for part in location)}: {message}" if location else message


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one readable message per variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [_problem(e["loc"], e["msg"].removeprefix("Value error, ")) for e in error.errors()]
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
