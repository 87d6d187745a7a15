"""Why a fetch or an extraction failed, grouped by what the caller should do about it."""


class FetchError(Exception):
    """A document could not be fetched; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientFetchError(FetchError):
    """May work if tried again later: timeouts, network errors, 429, 5xx."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class BotBlockedError(FetchError):
    """The site refuses automated clients: 403/406 or a challenge page."""


class PermanentFetchError(FetchError):
    """Will not work without a change to the catalog: 404/410, TLS errors, a bad or forbidden URL."""


class ExtractError(Exception):
    """The page was fetched but holds no usable policy text (empty, or the selector matched nothing)."""
