"""A time limit on one whole submission: parsing, reference and authorisation checks, password
hashing and the write. Checked between steps (each step is bounded on its own), so a submission
that would take too long ends with a clear error and changes nothing."""
from __future__ import annotations

import time


class SubmissionTimeout(Exception):
    """The submission ran out of time; `doing` says at which step."""

    def __init__(self, seconds: float, doing: str):
        super().__init__(f"Checking this submission took longer than the limit of {seconds:g} seconds "
                         f"(stopped while {doing}); nothing was changed. Split it into smaller submissions.")
        self.doing = doing


class Deadline:
    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = float(seconds)
        self._clock = clock
        self._end = clock() + self.seconds

    def check(self, doing: str) -> None:
        """Raise SubmissionTimeout once the time is up."""
        if self._clock() >= self._end:
            raise SubmissionTimeout(self.seconds, doing)

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())
