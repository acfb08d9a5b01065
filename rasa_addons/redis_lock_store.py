"""A Redis lock store that is safe across Rasa replicas (Rasa 3.6's own `RedisLockStore` is not).

Rasa 3.6 reads a conversation's lock, changes it in Python and writes it back with no transaction in
`issue_ticket`, `update_lock`, `finish_serving` and `cleanup`: two replicas handling the same
conversation overwrite each other's tickets, and messages of a burst are lost. Here each of those
read-change-write steps runs in a Redis optimistic transaction (WATCH the key, MULTI/EXEC, retried
on conflict).

endpoints.yml:
    lock_store:
      type: rasa_addons.redis_lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
      key_prefix: smeadvisor
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose every change of a lock is one Redis transaction."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs) -> None:
        # Rasa builds a custom lock store as `cls(endpoint_config=...)`; tests may pass
        # RedisLockStore's arguments
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change) -> T:
        """Apply `change` to the stored lock atomically: it gets the lock (or None) and returns the
        lock to store (None deletes it) and a result, and runs again if another process changed the
        key
        meanwhile."""
        key = self.key_prefix + conversation_id

        def attempt(pipe) -> T:
            raw = pipe.get(key)
            lock, result = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue a ticket, creating the lock if there is none."""

        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as exc:  # Rasa's own contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def _edit(self, conversation_id: str, edit: Callable[[TicketLock], bool]) -> None:
        """Change an existing lock in one transaction; `edit` returns False when the lock should go.
        """

        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            return (lock if lock and edit(lock) else None), None

        self._change(conversation_id, change)

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets."""
        self._edit(conversation_id, lambda lock: lock.remove_expired_tickets() or True)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket from the lock."""
        self._edit(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number) or True)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock itself when no one else waits, in one transaction."""
        self._edit(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number) or lock.is_someone_waiting())
