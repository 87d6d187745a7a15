"""The one settings object, read once from the environment and an optional ``.env`` file."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from analysis.dates import parse_duration

DEFAULT_DATABASE_URL = "sqlite:///data/policywatch.db"
BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "scraping" / "catalog.yaml"


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


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


class Settings(BaseSettings):
    """Configuration of PolicyWatch; every field is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    CATALOG_PATH: Path = BUNDLED_CATALOG
    CHECK_INTERVAL: Duration = timedelta(hours=6)
    ALLOW_PRIVATE_NETWORKS: bool = False
    CONFIRM_DELAY: Duration = timedelta(minutes=1)
    FETCH_TIMEOUT: Duration = timedelta(seconds=30)
    BROWSER_PATH: Path = Path("/usr/bin/chromium")
    WEB_HOST: str = "127.0.0.1"
    WEB_PORT: int = Field(default=8080, ge=1, le=65535)
    PUBLIC_URL: AnyHttpUrl = AnyHttpUrl("http://localhost:8080")
    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: AnyHttpUrl = AnyHttpUrl("https://api.deepseek.com")
    LLM_MODEL: str = "deepseek-chat"
    LLM_TIMEOUT: Duration = timedelta(seconds=60)
    LLM_PRICE_INPUT: float | None = Field(default=None, ge=0)  # per million prompt tokens
    LLM_PRICE_OUTPUT: float | None = Field(default=None, ge=0)  # per million completion tokens
    LLM_DAILY_CALLS: int = Field(default=200, ge=0)  # model calls a UTC day; past it, automatic reports
    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org/bot"
    ADMIN_CHAT_IDS: IdList = frozenset()
    TELEGRAM_RATE: float = Field(default=28.0, gt=0, le=1000)  # alerts per second, all chats together
    FAILURE_ALERT_AFTER: int = Field(default=3, ge=1)  # consecutive failed checks before admins hear
    DIGEST_AT: str = Field(
        default="mon 09:00", pattern=r"^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d$"
    )
    DIGEST_TIMEZONE: ZoneName = "Asia/Shanghai"
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def secrets(self) -> list[str]:
        """The values the logs must never show."""
        secrets = (self.TELEGRAM_BOT_TOKEN, self.OPENAI_API_KEY)
        return [secret.get_secret_value() for secret in secrets if secret is not None]


class SettingsError(Exception):
    """A setting has an invalid value; the message names the variable."""


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one readable message per variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
