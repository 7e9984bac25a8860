"""`moerig batch`: order, bad rows, JSONL, process pool and --resume."""

from __future__ import annotations

import csv
import json

from .conftest import one_error_line

HEADER = "kind,id,model,gpu,cpu,ram,context,decode,gpu_types\n"
ROWS = [
    "estimate,a,qwen3-235b-a22b,rtx-3090:4,epyc-9534,ddr5-4800-rdimm-64gb:12,32768,,\n",
    "estimate,b,qwen3-235b-a22b,rtx-3090:2;rtx-4090:1,epyc-9534,ddr5-4800-rdimm-64gb:12,8192,,\n",
    "estimate,bad-gpu,qwen3-235b-a22b,rtx-309:4,epyc-9534,ddr5-4800-rdimm-64gb:12,8192,,\n",
    "estimate,bad-context,qwen3-235b-a22b,rtx-3090:4,epyc-9534,ddr5-4800-rdimm-64gb:12,-5,,\n",
    "estimate,no-model,,rtx-3090:4,epyc-9534,ddr5-4800-rdimm-64gb:12,8192,,\n",
    "cheapest,c,qwen3-30b-a3b,,,,8192,30,rtx-3090\n",
    "estimate,d,qwen3-30b-a3b,,epyc-9534,ddr5-4800-rdimm-64gb:12,4096,,\n",
]


def write_input(tmp_path, rows=ROWS):
    path = tmp_path / "queries.csv"
    path.write_text(HEADER + "".join(rows))
    return path


def read_csv(path):
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_bad_rows_in_the_middle(run, tmp_path):
    out = tmp_path / "results.csv"
    result = run("batch", write_input(tmp_path), "-o", out, code=2)
    assert "3 of 7 rows failed" in one_error_line(result)
    rows = read_csv(out)
    assert [r["id"] for r in rows] == ["a", "b", "bad-gpu", "bad-context", "no-model", "c", "d"]
    assert [r["row"] for r in rows] == [str(i) for i in range(1, 8)]
    by_id = {r["id"]: r for r in rows}
    assert "column 'gpu': unknown gpu 'rtx-309'; close matches: rtx-3090" in by_id["bad-gpu"]["error"]
    assert "column 'context' = -5" in by_id["bad-context"]["error"]
    assert "column 'model' is missing" in by_id["no-model"]["error"]
    for good in ("a", "b", "c", "d"):
        assert by_id[good]["error"] == "" and float(by_id[good]["decode_tokens_per_s"]) > 0
    assert by_id["a"]["status"] == "fits" and by_id["c"]["status"] == "optimal"
    assert float(by_id["c"]["price_usd"]) > 0
    assert by_id["a"]["gpu"] == "rtx-3090:4"  # input columns echoed


def test_jsonl_in_and_out_with_jobs(run, tmp_path):
    source = tmp_path / "q.jsonl"
    lines = [{"id": i, "model": "qwen3-235b-a22b", "gpu": "rtx-3090:4", "cpu": "epyc-9534",
              "ram": "ddr5-4800-rdimm-64gb:12", "context": 1024 * (i + 1)} for i in range(6)]
    source.write_text("\n".join(json.dumps(x) for x in lines[:3]) + "\nnot json\n"
                      + "\n".join(json.dumps(x) for x in lines[3:]) + "\n")
    out = tmp_path / "r.jsonl"
    run("batch", source, "-o", out, "--jobs", "2", "-q", code=2)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["row"] for r in records] == list(range(1, 8))
    assert records[3]["status"] == "error" and "not valid JSON" in records[3]["error"]
    decode = [r["decode_tokens_per_s"] for r in records if r["status"] == "fits"]
    assert len(decode) == 6 and decode == sorted(decode, reverse=True)
    assert records[0]["context"] == 1024  # typed values echoed as given


def test_resume_skips_finished_rows_and_drops_a_torn_line(run, tmp_path):
    source = write_input(tmp_path, [ROWS[0], ROWS[1], ROWS[5], ROWS[6]])
    full = tmp_path / "full.csv"
    run("batch", source, "-o", full, "-q")
    lines = full.read_text().splitlines(keepends=True)
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(lines[:3]) + lines[3][:25])  # header, rows 1-2, torn row 3
    result = run("batch", source, "-o", partial, "--resume")
    assert "wrote 2 rows" in result.stdout and "2 already there" in result.stdout
    assert read_csv(partial) == read_csv(full)


def test_unknown_column_and_bad_file(run, tmp_path):
    source = tmp_path / "q.csv"
    source.write_text("model,contxt\nqwen3-30b-a3b,8192\n")
    result = run("batch", source, "-o", tmp_path / "o.csv", code=2)
    assert "unknown column 'contxt'; close matches: context" in one_error_line(result)
    result = run("batch", tmp_path / "q.txt", "-o", tmp_path / "o.csv", code=2)
    assert "allowed file types" in one_error_line(result)


def test_thousand_rows_fast(run, tmp_path):
    rows = [f"estimate,{i},qwen3-235b-a22b,rtx-3090:{1 + i % 4},epyc-9534,ddr5-4800-rdimm-64gb:12,"
            f"{4096 * (1 + i % 3)},,\n" for i in range(1000)]
    out = tmp_path / "big.csv"
    run("batch", write_input(tmp_path, rows), "-o", out, "-q")
    assert len(read_csv(out)) == 1000
