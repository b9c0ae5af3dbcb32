"""The JSONL loader refuses bad data with the line and the reason."""

import json
from pathlib import Path

import pytest

from copilot.evaluation.dataset import DatasetError, load_dataset, parse_lines, write_dataset
from copilot.labels import Label

GOOD = {"id": "x1", "subject": "Re: INV-1", "text": "We will pay Friday.", "date": "2026-11-10",
        "label": "promise_to_pay", "alternates": [], "frustrated": False, "promise_date": "2026-11-13"}  # fmt: skip


def _line(**changes) -> str:
    row = {**GOOD, **changes}
    return json.dumps({k: v for k, v in row.items() if v is not ...})


def test_a_good_line_loads_with_optional_fields():
    [row] = parse_lines([_line(headers={"Auto-Submitted": "no"}, lang="en")])
    assert row.label is Label.PROMISE_TO_PAY and row.promise_date.isoformat() == "2026-11-13"
    assert row.to_reply().sent_at.isoformat() == "2026-11-10" and row.accepted == {Label.PROMISE_TO_PAY}
    assert parse_lines([_line(subject=..., date=..., alternates=..., promise_date=...)])[0].subject == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        (_line(label="invoice"), "label: Input should be 'acknowledgement'"),
        (_line(text="   "), "text: text is empty"),
        (_line(text=...), "text: Field required"),
        (_line(frustrated=...), "frustrated: Field required"),
        (_line(colour="red"), "colour: Extra inputs are not permitted"),
        (_line(alternates=["promise_to_pay"]), "alternates repeats the label 'promise_to_pay'"),
        (_line(alternates=["paid", "paid"]), "alternates lists a label twice"),
        (_line(label="paid"), "promise_date is set but neither label nor alternates is promise_to_pay"),
        (_line(promise_date="2026-11-01"), "promise_date 2026-11-01 is before the reply's date 2026-11-10"),
        (_line(promise_date="2028-01-01"), "more than a year after"),
        (_line(promise_date="next friday"), "promise_date: Input should be a valid date"),
        (_line(label="frustration", promise_date=...), "label frustration needs frustrated: true"),
    ],
)
def test_each_problem_is_named_with_its_line(line, message):
    with pytest.raises(DatasetError) as err:
        parse_lines([_line(id="ok"), "", line], "set.jsonl")
    assert err.value.problems[0][0] == 3
    assert message in err.value.problems[0][1]
    assert "set.jsonl is not a valid labelled set (1 problem(s))" in str(err.value)
    assert "line 3:" in str(err.value)


def test_all_problems_are_collected_and_duplicate_ids_point_back():
    with pytest.raises(DatasetError) as err:
        parse_lines([_line(), _line(), _line(id="y", label="nope")])
    assert err.value.problems == [
        (2, "id 'x1' already used on line 1"),
        (3, "id 'y': label: Input should be 'acknowledgement', 'promise_to_pay', 'paid', 'dispute', "
            "'frustration', 'request', 'auto_reply' or 'other'"),
    ]  # fmt: skip


def test_missing_empty_and_binary_files(tmp_path: Path):
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(DatasetError, match="holds no replies"):
        load_dataset(tmp_path / "empty.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_dataset(tmp_path / "bin.jsonl")


def test_write_then_load_round_trips(tmp_path: Path, small):
    out = tmp_path / "copy.jsonl"
    write_dataset(out, small)
    assert load_dataset(out) == small
    assert '"headers"' not in out.read_text() and "¿Pueden" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["copy.jsonl"]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch, small):
    out = tmp_path / "set.jsonl"
    out.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("copilot.evaluation.dataset.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(out, small)
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["set.jsonl"]
