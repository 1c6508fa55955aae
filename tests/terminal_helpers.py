"""Commands run as a person runs them: in a terminal (a pseudo-terminal), answering password
prompts as they appear, and README code blocks taken verbatim."""
from __future__ import annotations

import os
import pty
import re
import select
import time
from pathlib import Path

from tests.conftest import REPO

PROMPT = re.compile(rb"(Password[^\n]*|Repeat for confirmation): $")


def readme_block(heading: str, nth: int = 0) -> str:
    """The nth ```sh block of the README section under `heading` (any level)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = re.search(rf"^#+ {re.escape(heading)}\n", text, re.M)
    assert start, f"README.md has no section {heading!r}"
    section = text[start.end():]
    end = re.search(r"^#+ ", section, re.M)
    blocks = re.findall(r"^```sh\n(.*?)^```\n", section[:end.start()] if end else section, re.M | re.S)
    assert len(blocks) > nth, f"README.md section {heading!r} has {len(blocks)} sh blocks"
    return blocks[nth]


def run_in_terminal(script: str, cwd: Path, env: dict[str, str], answers: list[str],
                    timeout: float = 300) -> tuple[int, str]:
    """Run `script` with bash -e on a pseudo-terminal; type the next answer at each password
    prompt. Returns the exit status and everything the terminal showed."""
    path = cwd / ".script.sh"
    path.write_text(script, encoding="utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child: a shell whose controlling terminal is the pty
        try:
            os.chdir(cwd)
            os.execvpe("bash", ["bash", "-e", str(path)], env)
        finally:
            os._exit(127)
    shown, since_answer = b"", b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            shown += data
            since_answer += data
            if PROMPT.search(since_answer) and pending:
                os.write(fd, pending.pop(0).encode() + b"\n")
                since_answer = b""
        else:
            os.kill(pid, 9)
            raise AssertionError(f"timed out after {timeout} s:\n{shown.decode(errors='replace')}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace").replace("\r\n", "\n")
