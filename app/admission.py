"""Admission control of one worker: take a request only if it will get a database connection
soon; refuse the rest at once (503 + Retry-After) instead of letting them queue.

A worker has ``capacity`` pooled connections; requests beyond that wait for one. Two
measurements, each an exponentially weighted mean over recent requests, say how long:

- the time a request holds its connection (``hold_s``): a new request would wait behind the
  ``in_flight - capacity`` already waiting, about ``(waiting + 1) × hold_s / capacity``;
- the wait requests have actually had (``wait_s``): when the CPU is saturated, every request
  admitted makes the others hold their connections longer, which the first estimate cannot
  see; the observed wait does.

Beyond ``capacity`` a request is admitted while both are within ``max_wait_s``, and never
beyond ``max_in_flight`` (a hard bound, also while nothing has been measured yet). So the
queue is sized by what the database and the worker are doing now: when requests are quick a
burst of clients (50 on two workers, unevenly spread by the kernel) is queued and served with
none refused; when they are slow fewer are queued and the rest are told, without having
waited, to come back. The check is constant work, done before routing, dependencies or
reading the body.

>>> a = Admission(capacity=2, max_in_flight=10, max_wait_s=1.0)
>>> [a.admit() for _ in range(10)].count(True)  # nothing measured yet: the hard bound
10
>>> for _ in range(10):
...     a.done(held_s=0.5, waited_s=0.0)
>>> a.hold_s, a.wait_s
(0.5, 0.0)
>>> [a.admit() for _ in range(10)].count(True)  # 2 at once, then waits of 0.25, 0.5, … s
6
>>> for _ in range(6):
...     a.done(held_s=0.5, waited_s=3.0)  # they waited far longer than estimated
>>> [a.admit() for _ in range(10)].count(True)  # only what gets a connection at once
2
"""

from __future__ import annotations


class Admission:
    WEIGHT = 0.1  # of the newest request in each mean

    def __init__(self, capacity: int, max_in_flight: int, max_wait_s: float):
        self.capacity = max(1, capacity)
        self.max_in_flight = max_in_flight
        self.max_wait_s = max_wait_s
        self.in_flight = 0
        self.hold_s = 0.0  # mean time a request holds its connection (0: not measured yet)
        self.wait_s = 0.0  # mean time a request waited for one

    def admit(self) -> bool:
        """Counts the request in if it is admitted (call :meth:`done` when it ends)."""
        if self.in_flight >= self.max_in_flight:
            return False
        waiting = self.in_flight - self.capacity
        if waiting >= 0 and (
            self.wait_s > self.max_wait_s
            or (waiting + 1) * self.hold_s / self.capacity > self.max_wait_s
        ):
            return False
        self.in_flight += 1
        return True

    def done(self, held_s: float = 0.0, waited_s: float = 0.0) -> None:
        """An admitted request ended, having waited ``waited_s`` for a connection and held
        it ``held_s`` (0: it used none, e.g. a static file, and says nothing of the pool)."""
        self.in_flight -= 1
        if held_s:
            if self.hold_s == 0.0:
                self.hold_s, self.wait_s = held_s, waited_s
            else:
                self.hold_s += self.WEIGHT * (held_s - self.hold_s)
                self.wait_s += self.WEIGHT * (waited_s - self.wait_s)
