"""bgpq4's prefix-set entries as integers, for Python callers (the HTTP filter pages)."""
from __future__ import annotations

from collections.abc import Iterable

from irr.filters.generate import Bgpq4
from irr.filters.prefixes import Entry


def prefix_set(view, objects: Iterable[str], family: int = 4, *, aggregate: bool = False,
               maxlen: int | None = None, refine: int = 0, refine_low: int = 0, allow_special: bool = False,
               sources: list[str] | None = None) -> list[Entry]:
    """The entries `bgpq4 [-6] [-A] [-m maxlen] [-R refine] [-r refine_low] [-p] [-S sources] OBJECTS`
    prints, as integers (see `formats.prefix_text`). Raises ValueError with bgpq4's message
    when bgpq4 would stop with an error."""
    argv = ["-6"] if family == 6 else []
    if aggregate:
        argv.append("-A")
    if maxlen:
        argv += ["-m", str(maxlen)]
    if refine:
        argv += ["-R", str(refine)]
    if refine_low:
        argv += ["-r", str(refine_low)]
    if allow_special:
        argv.append("-p")
    if sources:
        argv += ["-S", ",".join(sources)]
    run = Bgpq4(view)
    code = run.run([*argv, "-j", "--", *objects])  # "--": an object is never taken for an option
    if code != 0:
        raise ValueError("".join(run.stderr).strip() or f"bgpq4 exit code {code}")
    return run.entries
