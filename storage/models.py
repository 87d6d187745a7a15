"""The tables: the catalog (platforms, documents), what was seen (versions, checks) and who listens."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlmodel import JSON, Field, SQLModel

from kinds import Severity

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (SQLModel stores aware datetimes)."""
    return datetime.now(UTC)


E = TypeVar("E", bound=StrEnum)


class StoredEnum(TypeDecorator[E]):
    """A StrEnum in a VARCHAR column: the database holds the plain value, Python always gets the enum."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class CheckOutcome(StrEnum):
    """What one fetch attempt of a document found; the values are stored and printed by ``--json``."""

    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    NEW_VERSION = "new_version"
    REVERTED = "reverted"
    FAILED = "failed"
    TECHNICAL = "technical"  # our rules or extractor read the same policy differently: never a change


# The fingerprint of versions recorded before snapshots and fingerprints were kept.
UNKNOWN_FINGERPRINT = "unknown"


class FailureKind(StrEnum):
    """What may help a failed check: trying again soon (transient), or a change to the catalog or the site."""

    TRANSIENT = "transient"  # a timeout, a network error, 429, 5xx, a text that changed while confirmed
    PERMANENT = "permanent"  # 404, blocked (403, captcha, login wall), an error page, no text, a suspect text


class Platform(SQLModel, table=True):
    """A tracked company or app, synced from the catalog; retired when it leaves the catalog."""

    __tablename__ = "platforms"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Named from a site someone tracked (/track), not from the catalog: sync_catalog never retires it.
    added_by_users: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class Document(SQLModel, table=True):
    """One policy document of a platform (its privacy policy, its terms, ...)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("platform_id", "kind", name="uq_documents_platform_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="platforms.id", index=True)
    kind: str = Field(max_length=64)
    url: str = Field(sa_column=Column(Text, nullable=False))
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)
    consecutive_failures: int = 0
    failure_alerted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # admins told
    next_check_at: datetime | None = Field(default=None, index=True)  # None: due now
    # A suspicious text (big shrink, another language) seen on consecutive checks: suspect_streak() in
    # storage/versions.py counts them, and the checker accepts the text as a large change after a few.
    suspect_sha256: str | None = Field(default=None, max_length=64)
    suspect_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The options when snapshots came (migration 0009): what versions of unknown fingerprint were read with.
    legacy_options: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Added by someone's /track, not by the catalog: ``url`` is its normalised URL and ``url_key`` the
    # SHA-256 of that URL without its scheme (http and https are one page), re-keyed at each start by
    # today's normalisation (None: merged into another), one document per page however people spell it;
    # ``unfollowed_at`` is when its last tracker left (None: followed, or never tracked).
    added_by_users: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    url_key: str | None = Field(default=None, max_length=64, unique=True, index=True)
    unfollowed_at: datetime | None = None
    # The chat whose /track created it (None: the catalog's, or added before migration 0012): what the
    # quota of new documents per chat counts, since trackings are deleted on /untrack.
    added_by_subscriber_id: int | None = Field(default=None, foreign_key="subscribers.id", index=True)
    # The Telegram user who pressed Track (None: the catalog's, an anonymous group admin, or added before
    # migration 0014): the quota of new documents per person, whatever chat they use.
    added_by_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class Snapshot(SQLModel, table=True):
    """One distinct raw response of a document, zstd-compressed, kept once however often it is fetched.

    ``body`` is compressed alone, or against the raw body of ``base_id`` (a snapshot compressed alone) as
    a dictionary, so that a page differing in a few paragraphs from its base costs a few hundred bytes.
    """

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("document_id", "sha256", name="uq_snapshots_document_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    sha256: str = Field(max_length=64)  # of the raw bytes
    size: int  # raw bytes
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    base_id: int | None = Field(default=None, foreign_key="snapshots.id", nullable=True)
    url: str = Field(sa_column=Column(Text, nullable=False))  # after redirects
    content_type: str | None = Field(default=None, max_length=200)
    charset: str | None = Field(default=None, max_length=40)  # the one the body was read with
    fetched_at: datetime = Field(default_factory=utcnow)  # first fetched
    last_fetched_at: datetime = Field(default_factory=utcnow, index=True)


class Version(SQLModel, table=True):
    """One distinct text of a document; immutable except for ``last_seen_at``."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "sha256", name="uq_versions_document_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    chars: int
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)
    last_seen_at: datetime = Field(default_factory=utcnow)
    stated_update_date: date | None = None
    stated_effective_date: date | None = None
    is_large_change: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id", nullable=True)
    # The hash of the rules and EXTRACTOR_VERSION that produced the text (scraping/rules.py).
    fingerprint: str = Field(
        default=UNKNOWN_FINGERPRINT, max_length=64, sa_column_kwargs={"server_default": UNKNOWN_FINGERPRINT}
    )
    # The same policy read with new rules or a new extractor: never alerted, hidden unless asked for.
    technical: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Check(SQLModel, table=True):
    """One fetch attempt of a document and what it found."""

    __tablename__ = "checks"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    checked_at: datetime = Field(default_factory=utcnow, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    http_status: int | None = None
    bytes: int | None = None
    duration_ms: int | None = None
    outcome: CheckOutcome = Field(sa_column=Column(StoredEnum(CheckOutcome), nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Failed checks only (None also for failures recorded before kinds were stored).
    failure_kind: FailureKind | None = Field(
        default=None, sa_column=Column(StoredEnum(FailureKind), nullable=True)
    )
    version_id: int | None = Field(default=None, foreign_key="versions.id", nullable=True)
    snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id", nullable=True)  # what was read
    # A change's size from the version before it (new versions and reverts; None before it was measured).
    paragraphs_added: int | None = None
    paragraphs_deleted: int | None = None
    paragraphs_modified: int | None = None
    chars_inserted: int | None = None
    chars_deleted: int | None = None


class Subscriber(SQLModel, table=True):
    """A Telegram chat (person or group) that talks to the bot."""

    __tablename__ = "subscribers"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_type: str = Field(default="private", max_length=16)
    language: str = Field(default="en", max_length=8)
    language_chosen: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # by /lang
    is_active: bool = True
    min_severity: Severity = Field(  # instant alerts from this severity up
        default=Severity.NONE, sa_column=Column(StoredEnum(Severity), nullable=False)
    )
    digest: bool = False
    last_digest_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    """A subscriber following a platform."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "platform_id", name="uq_subscriptions_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    platform_id: int = Field(foreign_key="platforms.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Tracking(SQLModel, table=True):
    """A subscriber following one document they added with /track (or found through it)."""

    __tablename__ = "trackings"
    __table_args__ = (UniqueConstraint("subscriber_id", "document_id", name="uq_trackings_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Watch(SQLModel, table=True):
    """A subscriber watching a keyword (normalised: NFKC, lower case), in every document or one platform's."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("subscriber_id", "keyword", name="uq_watches_subscriber_keyword"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    keyword: str = Field(max_length=50)
    platform_id: int | None = Field(default=None, foreign_key="platforms.id", nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    """A change report for a pair of versions, per model, prompt version and language; computed once."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint(
            "from_version_id", "to_version_id", "model", "prompt_version", "language", name="uq_reports_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_version_id: int = Field(foreign_key="versions.id", index=True)
    to_version_id: int = Field(foreign_key="versions.id", index=True)
    model: str = Field(max_length=100)  # "automatic" for the deterministic fallback
    prompt_version: str = Field(max_length=40)
    language: str = Field(max_length=8)
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    is_automatic: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cost: float | None = None
    failure: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryKind(StrEnum):
    """What one delivery carries."""

    ALERT = "alert"  # a change, to a follower: the alert's message in their language (or ``text``)
    KEYWORD = "keyword"  # a change mentioning a watched keyword, to a watcher who does not follow: ``text``
    CHANNEL = "channel"  # a change, to CHANNEL_ID: the alert's message in CHANNEL_LANGUAGE
    DIGEST = "digest"  # the week's changes, to a follower who chose the digest: ``text``
    ADMIN = "admin"  # a notice to an admin (a failing document, the model's daily cap): ``text``


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or its retry time)
    SENDING = "sending"  # claimed by the sender; back to pending if the process died meanwhile
    SENT = "sent"
    FAILED = "failed"  # given up: ``error`` says why
    SKIPPED = "skipped"  # the subscriber blocked the bot before it was sent


class Alert(SQLModel, table=True):
    """A change worth telling followers about: one per check that found it, with the rendered messages."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="checks.id", unique=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    from_version_id: int = Field(foreign_key="versions.id")
    to_version_id: int = Field(foreign_key="versions.id")
    severity: Severity = Field(sa_column=Column(StoredEnum(Severity), nullable=False))
    headlines: dict = Field(sa_column=Column(JSON, nullable=False))  # language -> the report's headline
    messages: dict = Field(sa_column=Column(JSON, nullable=False))  # language -> Telegram HTML
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Delivery(SQLModel, table=True):
    """One message to one chat in the durable outbox: an alert, a digest or an admin notice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "subscriber_id", name="uq_deliveries_alert_subscriber"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: DeliveryKind = Field(sa_column=Column(StoredEnum(DeliveryKind), nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    subscriber_id: int | None = Field(default=None, foreign_key="subscribers.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="alerts.id", index=True)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # digests, admin notices
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING,
        sa_column=Column(StoredEnum(DeliveryStatus), nullable=False, index=True),
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class InboxStatus(StrEnum):
    PENDING = "pending"  # stored by the webhook route, waiting for the worker
    PROCESSING = "processing"  # claimed by the worker; back to pending if the worker died meanwhile
    DONE = "done"  # handled; its body is cleared, its update_id kept so a redelivery is not handled again
    FAILED = "failed"  # not an update python-telegram-bot can read, or given up: ``error`` says why


class InboxUpdate(SQLModel, table=True):
    """A Telegram update posted to the webhook, stored raw until the worker has handled it."""

    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))  # Telegram's id
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the JSON as posted
    status: InboxStatus = Field(
        default=InboxStatus.PENDING,
        sa_column=Column(StoredEnum(InboxStatus), nullable=False, index=True),
    )
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    received_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None, index=True)
