"""`copilot users`, `copilot serve` and the demo's web step, run as a user would."""

from click.testing import CliRunner

from copilot.cli import main
from copilot.store import Store
from copilot.web.users import authenticate


def test_users_add_prompts_for_the_password_and_list_shows_it(tmp_path):
    db = tmp_path / "c.db"
    runner = CliRunner()
    added = runner.invoke(main, ["--db", str(db), "users", "add", "casey", "--role", "collector",
                                 "--email", "casey@ourco.example"], input="a-long-password\na-long-password\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added casey (collector)." in added.output
    with Store.open(db) as store:
        assert authenticate(store, "casey", "a-long-password") is not None
    listed = runner.invoke(main, ["--db", str(db), "users", "list"])
    assert "casey" in listed.output and "collector" in listed.output and "casey@ourco.example" in listed.output


def test_users_add_reports_bad_input_without_a_traceback(tmp_path):
    db = tmp_path / "c.db"
    runner = CliRunner()
    short = runner.invoke(main, ["--db", str(db), "users", "add", "casey", "--role", "collector"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output and "Traceback" not in short.output
    role = runner.invoke(main, ["--db", str(db), "users", "add", "casey", "--role", "boss"], input="x\n")
    assert role.exit_code == 2 and "'boss' is not one of" in role.output


def test_serve_refuses_to_start_without_a_session_key(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.db"), "serve"])
    assert result.exit_code == 1
    assert "COPILOT_WEB__SECRET_KEY" in result.output


def test_demo_creates_users_and_prints_their_logins(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--no-serve"])
    assert result.exit_code == 0, result.output
    logins = dict(line.strip().removeprefix("login: ").split("  (")[0].split(" / ") for line in result.output.splitlines()
                  if line.strip().startswith("login: "))  # fmt: skip
    assert set(logins) == {"collector", "dana", "admin"}
    with Store.open(tmp_path / "demo" / "demo.db") as store:
        assert authenticate(store, "collector", logins["collector"])["role"] == "collector"
        assert authenticate(store, "dana", logins["dana"])["email"] == "dana.reyes@ourco.example"
        assert store.db["drafts"].count > 0


def test_serve_runs_the_app_under_uvicorn(tmp_path):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from tests.fixtures.smtp import free_port

    port = free_port()
    env = {**os.environ, "COPILOT_WEB__SECRET_KEY": "s" * 40}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "copilot", "--db", str(tmp_path / "c.db"), "serve", "--port", str(port)],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "copilot serve did not answer"
                time.sleep(0.1)
        assert response.status_code == 200 and "Sign in" in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/worklist").status_code == 303
    finally:
        proc.terminate()
        proc.wait(timeout=10)
