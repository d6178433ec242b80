"""The process-wide cache of each legal entity's token set, shared by the token manager
(`qbo_auth`, which refreshes) and the vault (`token_vault`, which stores).

A warm Lambda keeps its access token here until shortly before expiry. The vault tells
the cache when it has stored or deleted an entity's tokens, so the cache never serves a
set older than the vault's (e.g. a reconnect after "reconnect required" works at once).
Its own module so that neither of the two imports the other for it.
"""

from __future__ import annotations

import dataclasses
import threading

from qbo_connector.models.tokens import TokenSet


@dataclasses.dataclass
class Entry:
    lock: threading.RLock = dataclasses.field(default_factory=threading.RLock)
    tokens: TokenSet | None = None
    unsaved: bool = False
    dead_reason: str | None = None
    dead_at: float = 0.0
    dead_refresh: str | None = None
    dead_tid: str | None = None


_entries_lock = threading.Lock()
_entries: dict[tuple[str, str], Entry] = {}


def entry_for(org_id: str, legal_entity_id: str) -> Entry:
    """The one cache entry of a legal entity in this process (made on first use)."""
    key = (org_id, legal_entity_id)
    with _entries_lock:
        entry = _entries.get(key)
        if entry is None:
            entry = _entries[key] = Entry()
        return entry


def reset_cache() -> None:
    """Forget every cached token set (tests)."""
    with _entries_lock:
        _entries.clear()


def note_saved(org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
    """The vault just stored ``tokens`` in this process: they are the newest.

    Keeps the process cache coherent, e.g. a reconnect after "reconnect required"
    works at once instead of after the fail-fast window.
    """
    _adopt(org_id, legal_entity_id, tokens)


def note_deleted(org_id: str, legal_entity_id: str) -> None:
    """The vault just deleted the entity's tokens (disconnect): forget them here too."""
    _adopt(org_id, legal_entity_id, None)


def _adopt(org_id: str, legal_entity_id: str, tokens: TokenSet | None) -> None:
    """What the vault now holds becomes the cached set, clean and alive. Changed in
    place: live TokenManagers hold a reference to the entry."""
    with _entries_lock:
        entry = _entries.get((org_id, legal_entity_id))
    if entry is None:
        return
    with entry.lock:
        entry.tokens = tokens
        entry.unsaved = False
        entry.dead_reason = None
