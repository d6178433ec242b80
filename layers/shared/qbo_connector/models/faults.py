"""The errors the world outside raises at us, as types logic can match with `isinstance`.

QuickBooks' Accounting API faults (`QboError` and its kinds; `adapters/qbo_faults.py`
parses Intuit's envelopes into them), Intuit's OAuth errors (`OAuthError`;
`adapters/intuit_oauth.py`), and what the token, document and legal-entity stores
report. They live here, below logic and adapters both, so logic decides on them
without importing an adapter. None carries a token or a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultError:
    """One ``Error`` entry of a fault envelope."""

    code: str
    message: str
    detail: str
    element: str | None = None


class QboError(Exception):
    """Base of every QBO Accounting API error.

    ``retryable`` says whether the same request may succeed later without change
    (throttling, outages); it says nothing about whether a write is safe to resend.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        detail: str = "",
        element: str | None = None,
        fault_type: str | None = None,
        intuit_tid: str | None = None,
        errors: tuple[FaultError, ...] = (),
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.intuit_tid = intuit_tid
        self.errors = errors
        super().__init__(self._summary())

    def as_record(self) -> dict[str, str | None]:
        """What an export log keeps of QBO's refusal beside the reason in words: QBO's
        own code, message, detail and element, and its intuit_tid for Intuit's support."""
        return {
            "code": self.code,
            "message": self.message,
            "detail": self.detail,
            "element": self.element,
            "intuit_tid": self.intuit_tid,
        }

    def _summary(self) -> str:
        parts = []
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code:
            parts.append(f"code {self.code}")
        head = " ".join(parts)
        text = self.message
        if self.detail and self.detail != self.message:
            text = f"{text}: {self.detail}"
        if self.element:
            text = f"{text} (element {self.element})"
        if self.intuit_tid:
            text = f"{text} [intuit_tid {self.intuit_tid}]"
        return f"{head}: {text}" if head else text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description for sync-run records and API answers."""
        return {
            "type": type(self).__name__,
            "http_status": self.http_status,
            "code": self.code,
            "message": self.message,
            "detail": self.detail,
            "element": self.element,
            "intuit_tid": self.intuit_tid,
            "retryable": self.retryable,
        }


class QboValidationError(QboError):
    """400 ValidationFault: the request is wrong; resending it unchanged will fail again."""


class QboAuthenticationError(QboError):
    """401: the access token was rejected (expired, revoked, wrong environment)."""


class QboForbiddenError(QboError):
    """403 SERVICE / 3100: the app may not do this (scope, host for the token's environment)."""


class QboThrottledError(QboError):
    """429 (403 in older traffic) / 3001: per-realm limits exceeded; wait and retry."""

    retryable = True


class QboUnavailableError(QboError):
    """5xx, timeouts and connection errors: QBO could not be reached or failed."""

    retryable = True


class QboNotFoundError(QboValidationError):
    """610 Object Not Found (or HTTP 404)."""


class QboStaleObjectError(QboValidationError):
    """5010: SyncToken mismatch; re-read the object and apply the change again."""


class QboInvalidReferenceError(QboValidationError):
    """2500: a referenced object (vendor, account, ...) does not exist or was deleted."""


class QboDuplicateNameError(QboValidationError):
    """6240 Duplicate Name Exists."""


class QboDuplicateDocNumberError(QboValidationError):
    """6140 (or 6240 with the duplicate-document message): DocNumber already used.

    ``existing_txn_id`` is the Id of the transaction holding the number, when Intuit says.
    """

    def __init__(self, message: str, *, existing_txn_id: str | None = None, **kw: Any) -> None:
        self.existing_txn_id = existing_txn_id
        super().__init__(message, **kw)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["existing_txn_id"] = self.existing_txn_id
        return out


class QboPeriodClosedError(QboValidationError):
    """6210: the transaction date falls in a closed accounting period."""


class OAuthError(Exception):
    """An error from Intuit's OAuth endpoints. Never carries tokens or codes."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        description: str | None = None,
        intuit_tid: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.error = error
        self.description = description
        self.intuit_tid = intuit_tid
        text = message
        if intuit_tid:
            text = f"{text} [intuit_tid {intuit_tid}]"
        super().__init__(text)


class OAuthGrantInvalid(OAuthError):
    """400 invalid_grant: the code or refresh token is dead; the user must reconnect."""


class OAuthClientInvalid(OAuthError):
    """401 invalid_client: the app's client id/secret are wrong (configuration)."""


class OAuthTokenRejected(OAuthError):
    """401 from userinfo: the access token was not accepted."""


class IntuitUnavailable(OAuthError):
    """Intuit's OAuth service failed (5xx, 429) or could not be reached (timeout, network)."""


class ReconnectRequired(Exception):
    """The legal entity's QBO connection must be made again by a person.

    ``reason`` is a sentence for the connection status; ``not_connected`` means no
    tokens were ever stored (or they were removed by a disconnect).
    """

    def __init__(
        self,
        reason: str,
        *,
        org_id: str,
        legal_entity_id: str,
        not_connected: bool = False,
        intuit_tid: str | None = None,
    ) -> None:
        self.reason = reason
        self.org_id = org_id
        self.legal_entity_id = legal_entity_id
        self.not_connected = not_connected
        self.intuit_tid = intuit_tid
        super().__init__(reason)


class TokenPersistError(Exception):
    """Refreshed tokens could not be stored; they are kept in memory and not yet used."""


class DocumentUnavailable(Exception):
    """The PDF cannot be read: missing, forbidden, not ours or too large (reason in words)."""


class RealmAlreadyClaimed(Exception):
    def __init__(self, org_id: str, legal_entity_id: str) -> None:
        super().__init__("realm already claimed")
        self.org_id = org_id
        self.legal_entity_id = legal_entity_id


class ScheduleRulesError(Exception):
    """EventBridge refused a schedule change."""


class ScheduleQuotaExceeded(ScheduleRulesError):
    """The account's EventBridge rule quota is used up; nothing was changed."""

    code = "schedule_quota_exceeded"

    def __init__(self, legal_entity_id: str) -> None:
        self.legal_entity_id = legal_entity_id
        super().__init__(
            "The AWS account has reached its EventBridge rule quota (rules per event bus), "
            f"so the sync schedule of legal entity {legal_entity_id} could not be saved; "
            "the previous schedule is unchanged. Ask an operator to raise the "
            "'Maximum number of rules per event bus' quota in Service Quotas, "
            "or remove schedules that are no longer needed."
        )
