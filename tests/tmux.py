"""Drive the real ``dpa-kit`` command in a tmux terminal, as a person types at a keyboard.

CliRunner feeds a pipe; tmux gives the program a real terminal (a tty: questions are asked, Ctrl-C is a
signal), which is what a stressed person at 23:00 has. Each session lives on its own tmux server socket,
killed at the end. Waiting polls the screen with a generous timeout: it never asserts a duration.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conftest import require_program

_WAIT = 60.0


class Terminal:
    """One tmux session running one command; ``type`` a line, ``wait_for`` a text, read ``exit_code``."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        self.tmux = require_program("tmux")
        self.socket = f"dpa-kit-test-{uuid.uuid4().hex[:12]}"
        self.log = cwd / f"{self.socket}.status"
        self._seen: dict[str, int] = {}
        command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "dpa_kit", *args])
        script = f"{command}; echo $? > {shlex.quote(str(self.log))}; sleep 600"
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith("DPA_KIT_") or k == "DPA_KIT_REQUIRE_INTEROP"
        }
        full_env.update(env)
        full_env.update({"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "COLUMNS": "200"})
        self._run(
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "-s",
            "t",
            "-c",
            str(cwd),
            *[part for k, v in full_env.items() for part in ("-e", f"{k}={v}")],
            script,
        )
        self._run("set-option", "-t", "t", "history-limit", "20000")

    def _run(self, *args: str) -> str:
        result = subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return result.stdout

    def screen(self) -> str:
        """Everything shown so far (scroll-back included), trailing spaces removed."""
        text = self._run("capture-pane", "-p", "-J", "-S", "-20000", "-t", "t")
        return "\n".join(line.rstrip() for line in text.splitlines())

    def wait_for(self, text: str, count: int = 1) -> str:
        """Wait until ``text`` is on the screen ``count`` times; fail with the screen if it never is."""
        deadline = time.monotonic() + _WAIT
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never shown: {text!r} (x{count})\n--- screen ---\n{self.screen()}")

    def type(self, line: str) -> None:
        """Type a line and press Enter."""
        if line:
            self._run("send-keys", "-t", "t", "-l", line)
        self._run("send-keys", "-t", "t", "Enter")

    def reply(self, line: str, prompt: str = "Réponse >") -> str:
        """Wait for the next occurrence of ``prompt`` (counted per prompt), type ``line``; return the screen."""
        self._seen[prompt] = self._seen.get(prompt, 0) + 1
        screen = self.wait_for(prompt, self._seen[prompt])
        self.type(line)
        return screen

    def ctrl_c(self) -> None:
        self._run("send-keys", "-t", "t", "C-c")

    def exit_code(self) -> int:
        """Wait for the command to end and return its exit code."""
        deadline = time.monotonic() + _WAIT
        while time.monotonic() < deadline:
            if self.log.exists() and self.log.read_text().strip():
                return int(self.log.read_text().strip())
            time.sleep(0.1)
        raise AssertionError(f"the command did not end\n--- screen ---\n{self.screen()}")

    def close(self) -> None:
        """Kill this session's tmux server and remove its socket file (the machine is shared)."""
        found = subprocess.run(
            [self.tmux, "-L", self.socket, "display-message", "-p", "#{socket_path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        subprocess.run([self.tmux, "-L", self.socket, "kill-server"], capture_output=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            Path(found.stdout.strip()).unlink(missing_ok=True)
