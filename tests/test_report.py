import re
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread

from layerwise import NeuralNetwork
from layerwise.report import _data_section, write_report

matplotlib.use("Agg")

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, "same", "different")
    model = NeuralNetwork((6,), activation="tanh", random_state=0)
    history = model.fit(
        X[:60], y[:60], epochs=40, learning_rate=0.5, validation_data=(X[60:], y[60:])
    )
    return model, X[:60], y[:60], X[60:], y[60:], history


@pytest.fixture(scope="module")
def report_path(trained, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "model.html"
    write_report(path, *trained)
    return path


def test_write_report_contains_sections(report_path):
    text = report_path.read_text(encoding="utf-8")

    for heading in [
        "<h2>Data</h2>",
        "<h2>Network</h2>",
        "<h2>Test metrics</h2>",
        "<h2>Training curves</h2>",
        "<h2>Network diagram</h2>",
        "<h2>Confusion matrix on the test data</h2>",
        "<h2>Decision boundary with the training data</h2>",
        "<h2>Weights</h2>",
    ]:
        assert heading in text
    assert "W^[1]: 6×2" in text
    assert "<th>accuracy</th>" in text


def test_write_report_default_data_summary(report_path):
    text = report_path.read_text(encoding="utf-8")

    assert "<th>training samples</th><td>60</td>" in text
    assert "<th>test samples</th><td>20</td>" in text
    assert "<th>task</th><td>binary</td>" in text
    assert "<th>training samples per class</th>" in text


def test_write_report_is_self_contained(report_path):
    text = report_path.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)

    assert sources
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    assert "http://" not in text
    assert "https://" not in text


def test_write_report_regression(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, 0.5, -1.0]
    model = NeuralNetwork((4,), random_state=0)
    model.fit(X, y, epochs=10, learning_rate=0.05)
    path = tmp_path / "regression.html"

    summary = {"source": "a & b <generated>"}
    write_report(path, model, X[:30], y[:30], X[30:], y[30:], data_summary=summary)
    text = path.read_text(encoding="utf-8")

    assert "<h2>Predictions on the test data</h2>" in text
    assert "<h2>Training curves</h2>" not in text
    assert "<h2>Decision boundary with the training data</h2>" not in text
    assert "<th>r2</th>" in text
    assert "<th>source</th><td>a &amp; b &lt;generated&gt;</td>" in text


def test_report_text_data_summary_is_escaped(trained):
    section = _data_section(trained[0], trained[2], trained[3], "40 rows <raw>")

    assert section == "<pre>40 rows &lt;raw&gt;</pre>"


def test_write_report_missing_directory_raises(trained, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "missing" / "report.html", *trained[:5])


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium "
    "(apt-get install -y chromium)",
)
def test_report_renders_in_headless_chromium(report_path, tmp_path):
    screenshot = tmp_path / "report.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
        "--window-size=1200,900",
        report_path.as_uri(),
    ]

    subprocess.run(command, check=True, capture_output=True, timeout=60)
    pixels = imread(screenshot)

    assert pixels.shape[:2] == (900, 1200)
    assert pixels[..., :3].std() > 0.05
