"""Smoke tests of benchmarks/run.py on tiny sizes. No test checks a time."""

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    """Import benchmarks/run.py, which is a script and not part of the package."""
    spec = importlib.util.spec_from_file_location("benchmarks_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_quick_run_p1_p3_p5(tmp_path):
    path = tmp_path / "results.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--json", str(path)]
    command += ["--only", "p1", "p3", "p5", "--libraries", "layerwise"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stderr
    assert "| P1 MNIST" in completed.stdout
    report = json.loads(path.read_text())
    assert report["machine"]["threads"] == 1
    layerwise, floor, latency, *scan = report["results"]
    assert layerwise["library"] == "layerwise"
    assert 0 <= layerwise["accuracy"] <= 1
    assert layerwise["dtype"] == "float32"
    assert layerwise["train_samples"] == 400
    assert layerwise["fit_peak_rss_mib"] >= layerwise["rss_before_fit_mib"]
    assert floor["library"] == "matmul floor"
    assert floor["floor_no_input_grad_ms"] < floor["floor_ms"]
    assert floor["layerwise_over_floor"] > 0
    assert latency["us_per_call"] > 0
    assert [row["layers"] for row in scan] == [
        "784-32-32-10",
        "784-64-64-10",
        "784-256-128-10",
        "784-256-128-10",
    ]


def test_p2_p4_rows(bench):
    sizes = replace(bench.QUICK, full_batch_epochs=3)
    rows = bench.run_p2(sizes, ["layerwise", "sklearn"])
    rows += bench.run_p4(sizes, ["layerwise", "sklearn"])

    assert [row["benchmark"] for row in rows] == ["P2", "P2", "P4", "P4"]
    for row in rows:
        assert row["ms_per_epoch"] > 0, row
        assert 0 <= row["accuracy"] <= 1, row
        assert row["dtype"] == "float32", row


def test_torch_fits_both_output_kinds(bench):
    pytest.importorskip("torch")
    for dataset, optimizer, batch_size in [
        ("digits", "adam", 32),
        ("breast_cancer", "sgd", None),
    ]:
        work = bench.Workload((8,), optimizer, 0.01, batch_size, epochs=1)
        result = bench.time_fits("torch", work, bench.load_dataset(dataset), 1)
        assert 0 <= result["accuracy"] <= 1, dataset
        assert result["ms_per_epoch"] > 0, dataset


def test_predict_latency_rows(bench):
    pytest.importorskip("torch")
    sizes = replace(bench.QUICK, predict_calls=5)
    rows = bench.run_p3(sizes, ["layerwise", "torch"])

    assert [row["library"] for row in rows] == ["layerwise", "torch"]
    assert all(row["us_per_call"] > 0 for row in rows)


def test_floor_counts_input_gradient(bench):
    floor = bench.floor_ms_per_epoch((20, 10, 5), n_samples=64, batch_size=16)
    # The first layer has 200 of the 250 weights, so leaving out its input
    # gradient removes 2·200 of the 6·250 flops per sample.
    expected = (6 * 250 - 2 * 200) / (6 * 250)
    ratio = floor["floor_no_input_grad_ms"] / floor["floor_ms"]
    assert ratio == pytest.approx(expected)
    assert floor["gflops"] > 0


def test_table_ratios_to_layerwise(bench):
    rows = [
        {"benchmark": "P3", "library": "layerwise", "us_per_call": 10.0},
        {"benchmark": "P3", "library": "torch", "us_per_call": 25.0},
    ]
    lines = bench.format_table(rows).splitlines()
    assert "| 1.00 |" in lines[2]
    assert "| 2.50 |" in lines[3]
    assert "µs/call" in lines[3]


def test_cnn_and_lstm_rows(bench):
    rows = bench.run_p6(bench.QUICK, ["layerwise"])
    rows += bench.run_p7(bench.QUICK, ["layerwise"])

    assert [row["benchmark"] for row in rows] == ["P6", "P7"]
    for row in rows:
        assert row["library"] == "layerwise"
        assert row["ms_per_epoch"] > 0
        assert 0 <= row["accuracy"] <= 1
