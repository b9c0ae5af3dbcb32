"""Plain-text summaries of a run and of a comparison, for the terminal."""

from copilot.evaluation.compare import Delta, class_deltas, comparison_warnings, headline_deltas


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.1f}%"


def _delta(d: Delta) -> str:
    if d.change is None:
        return "     n/a"
    points = d.change * 100
    return f"{points:+7.1f}" + (" ▲" if points > 0.05 else " ▼" if points < -0.05 else "  ")


def describe(record: dict) -> str:
    """`classifier on dataset`, plus the models and prompt versions that answered."""
    prov = record.get("provenance") or {}
    parts = [", ".join(f"{k} ×{v}" for k, v in prov.get(key, {}).items()) for key in ("model", "prompt_version")]
    detail = "; ".join(p for p in parts if p)
    return f"{record.get('classifier')} on {record['dataset']['path']}" + (f" [{detail}]" if detail else "")


def format_run(record: dict) -> str:
    """Headline scores and the per-label table of one run."""
    m = record["metrics"]
    esc, pd, lat = m["escalation"], m["promise_date"], m["latency_ms"]
    lines = [
        f"{describe(record)} ({m['n']} replies, {record['wall_seconds']:.2f} s)",
        f"  accuracy {_pct(m['accuracy'])}   strict {_pct(m['strict_accuracy'])}   macro-F1 "
        + ("n/a" if m["macro_f1"] is None else f"{m['macro_f1']:.3f}"),
        f"  escalation recall {_pct(esc['recall'])}   precision {_pct(esc['precision'])}   ({esc['support']} to escalate)",
        f"  promise date match {_pct(pd['exact_match'])} over {pd['n']}   abstain {_pct(m['abstain_rate'])}",
        f"  latency p50 {lat['p50'] or 0:.2f} ms   p95 {lat['p95'] or 0:.2f} ms",
    ]
    if m.get("usage"):
        u = m["usage"]
        lines.append(f"  LLM: {u['calls']:.0f} calls, {u['input_tokens']:.0f} tokens in, {u['output_tokens']:.0f} out, cost {u['cost']:.4f}")
    if m["errors"]:
        lines.append(f"  classifier errors: {m['errors']} (scored as other)")
    lines.append("")
    lines.append(f"  {'label':<16}{'prec':>7}{'recall':>8}{'F1':>7}{'support':>9}")
    for label, s in m["per_class"].items():
        lines.append(f"  {label:<16}{s['precision']:7.2f}{s['recall']:8.2f}{s['f1']:7.2f}{s['support']:9d}")
    if m.get("by_slice"):
        lines.append("")
        lines.append(f"  {'slice':<24}{'n':>5}{'accuracy':>10}{'escalated':>11}{'should':>8}")
        for name, s in m["by_slice"].items():
            lines.append(f"  {name:<24}{s['n']:5d}{_pct(s['accuracy']):>10}{s['escalated']:11d}{s['should_escalate']:8d}")
    return "\n".join(lines)


def format_comparison(run_a: dict, run_b: dict) -> str:
    """Side-by-side headline scores and per-label deltas (percentage points, B minus A)."""
    lines = [f"A: {describe(run_a)}", f"B: {describe(run_b)}"]
    lines += [f"warning: {w}" for w in comparison_warnings(run_a, run_b)]
    lines += ["", f"  {'metric':<22}{'A':>8}{'B':>8}{'Δ pts':>10}"]
    for d in headline_deltas(run_a, run_b):
        lines.append(f"  {d.name:<22}{_pct(d.before):>8}{_pct(d.after):>8}{_delta(d):>10}")
    lines += ["", f"  {'label':<16}{'precision':>14}{'recall':>14}{'F1':>14}   (B, Δ pts)"]
    for label, deltas in class_deltas(run_a, run_b).items():
        cells = "".join(f"{_pct(d.after):>7}{_delta(d):>7}" if d.after is not None else f"{'n/a':>14}" for d in deltas)
        lines.append(f"  {label:<16}{cells}")
    return "\n".join(lines)
