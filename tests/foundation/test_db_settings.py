"""A database can carry its own settings file: `--db` pointed at it loads that file, paths relative to it."""

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from copilot.cli import main
from copilot.config import load_settings, write_db_settings
from copilot.resources import demo_data_dir


def test_a_settings_file_beside_the_database_is_used_with_paths_relative_to_it(tmp_path: Path, monkeypatch):
    (tmp_path / "copilot.toml").write_text('outbox_dir = "cwd-outbox"\n[smtp]\nfrom_name = "Working Directory"\n')
    db = tmp_path / "shop" / "books.db"
    db.parent.mkdir()
    assert load_settings().smtp.from_name == "Working Directory"  # no database named: the usual file
    write_db_settings(db, {"demo": True, "today": date(2026, 11, 16), "outbox_dir": "outbox",
                           "smtp": {"from_name": 'Shop "AR"', "from_address": "ar@shop.example"}})  # fmt: skip
    beside = load_settings(db_path=db)
    assert (beside.smtp.from_name, beside.smtp.from_address) == ('Shop "AR"', "ar@shop.example")
    assert beside.outbox_dir == db.parent / "outbox" and beside.today == date(2026, 11, 16) and beside.demo
    monkeypatch.setenv("COPILOT_SMTP__FROM_NAME", "From The Environment")
    assert load_settings(db_path=db).smtp.from_name == "From The Environment"  # the environment still wins
    assert not load_settings(db_path=tmp_path / "elsewhere.db").demo


def test_the_cli_pointed_at_a_database_uses_its_identity(tmp_path: Path):
    db = tmp_path / "demo" / "demo.db"
    db.parent.mkdir()
    write_db_settings(db, {"today": date(2026, 11, 16), "smtp": {"from_name": "Shop AR", "from_address": "ar@shop.example"}})
    out = CliRunner().invoke(main, ["--db", str(db), "import", "invoices", str(demo_data_dir() / "invoices.csv")])
    assert out.exit_code == 0, out.output
    assert CliRunner().invoke(main, ["--db", str(db), "plan"]).exit_code == 0  # planned for the file's day
    shown = CliRunner().invoke(main, ["--db", str(db), "drafts", "show", "1"])
    assert "From: Shop AR <ar@shop.example>" in shown.output and "expires=2026-11-19" in shown.output
