"""The whois answer cache of the route and set commands (`!g`, `!6`, `!i`, `!a`): encoded answers
by (sources, excludes, query), each filed under its subject (an origin, or a set name).

A change drops only the answers whose subject it reaches (irr.query.memory publishes the origins
and sets a change reaches before the new data is visible), not the whole cache. An answer
computed from a state that is no longer current is not kept, so no stale answer survives a change.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from irr.config import WhoisLimits
from irr.query.derived import Changes

CACHE_SIZE = WhoisLimits.answer_cache


class AnswerCache:
    """Answers kept until a change reaches their subject (`size` answers at most, the least
    recently asked out first: an answer asked again and again stays while one-off answers come
    and go)."""

    def __init__(self, memory, size: int = CACHE_SIZE):
        self.memory = memory
        self.size = size
        self.answers: OrderedDict[tuple, tuple[tuple, bytes]] = OrderedDict()
        self.subjects: dict[tuple, set[tuple]] = {}
        self._lock = threading.Lock()  # between adding (worker threads) and evicting
        memory.subscribe(self.invalidate)

    def get(self, key: tuple) -> bytes | None:
        entry = self.answers.get(key)
        if entry is None:
            return None
        try:
            self.answers.move_to_end(key)  # one C call: atomic under the GIL, like the writers' calls
        except KeyError:  # dropped by a change or evicted meanwhile: the answer is still the one asked
            pass
        return entry[1]

    def put(self, key: tuple, subject: tuple, epoch: int, answer: bytes) -> None:
        """Keep `answer`, computed from the state numbered `epoch`, unless that state was replaced."""
        if self.size <= 0:
            return
        # while a change is being published, not kept (rather than waiting: a query never waits
        # for a publication)
        if not self.memory._publish.acquire(blocking=False):
            return
        try:
            with self._lock:
                if self.memory.generation != epoch:
                    return
                self.answers[key] = (subject, answer)
                self.subjects.setdefault(subject, set()).add(key)
                while len(self.answers) > self.size:
                    old_key, (old_subject, _) = self.answers.popitem(last=False)
                    self._unfile(old_subject, old_key)
        finally:
            self.memory._publish.release()

    def invalidate(self, changes: Changes) -> None:
        """Drop the answers a change reaches (called by the memory under its publication lock)."""
        with self._lock:
            if changes.everything:
                self.answers.clear()
                self.subjects.clear()
                return
            for subject in [*(("set", n) for n in changes.reached), *(("members", n) for n in changes.expanded),
                            *(("g", o) for o in changes.origins4),
                            *(("6", o) for o in changes.origins6)]:
                for key in self.subjects.pop(subject, ()):
                    self.answers.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self.answers.clear()
            self.subjects.clear()

    def _unfile(self, subject: tuple, key: tuple) -> None:
        keys = self.subjects.get(subject)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.subjects[subject]
