"""The README opens with exactly the two set-up commands, and CI runs the second."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _blocks() -> list[str]:
    """The shell blocks before the first section: the set-up commands (later sections may show others)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", text[: text.index("\n## ")], re.S)


def test_two_setup_commands_come_first():
    blocks = _blocks()
    assert len(blocks) == 2, "the README opens with exactly two shell blocks: the set-up commands"
    demo, tests = blocks
    assert "copilot demo" in demo and "\n" not in demo
    assert "pytest" in tests and "dovecot-imapd" in tests and "chromium" in tests and "\n" not in tests


def test_ci_runs_the_second_command():
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[-1] == _blocks()[1]
