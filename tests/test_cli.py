"""Tests of the layerwise command line, called in-process through main(argv)."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from layerwise import NeuralNetwork, load
from layerwise.cli import DEMO_SETTINGS, main
from layerwise.datasets import TARGET_COLUMNS, load_dataset
from layerwise.tables import TableSchema, infer_task, read_table

REPOSITORY = Path(__file__).resolve().parents[1]
TWO_CLASSES = "a,label\n1,0\n2,1\n3,0\n4,1\n"


def write_split(directory: Path, name: str, seed: int, **options) -> tuple[Path, Path]:
    """Write a data set as train.csv and test.csv (20% of rows) into ``directory``."""
    frame = load_dataset(name, **options)
    target = frame[TARGET_COLUMNS[name]]
    stratify = target if infer_task(target) == "classification" else None
    train, test = train_test_split(
        frame, test_size=0.2, stratify=stratify, random_state=seed
    )
    train_path, test_path = directory / "train.csv", directory / "test.csv"
    train.to_csv(train_path, index=False)
    test.to_csv(test_path, index=False)
    return train_path, test_path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run main(argv) and return the exit status, stdout and stderr."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def evaluate_json(capsys, model: Path, data: Path, *options) -> dict:
    status, out, err = run_cli(capsys, "evaluate", model, data, "--json", *options)
    assert status == 0, err
    return json.loads(out)


def assert_one_error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("layerwise: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# Training to an accuracy target ----------------------------------------------


def test_train_breast_cancer_text_labels(tmp_path, capsys):
    train_csv, test_csv = write_split(tmp_path, "breast_cancer", seed=2)
    model = tmp_path / "model.safetensors"

    status, out, err = run_cli(
        capsys, "train", train_csv, "--target", "diagnosis", "--output", model, "-q"
    )

    assert status == 0, err
    assert "test split (91 rows): accuracy" in out
    metrics = evaluate_json(capsys, model, test_csv)
    assert metrics["accuracy"] >= 0.95
    assert metrics["n_samples"] == 114
    assert set(load(model).classes_) == {"benign", "malignant"}


def test_train_iris_multiclass(tmp_path, capsys):
    train_csv, test_csv = write_split(tmp_path, "iris", seed=0)
    model = tmp_path / "iris.safetensors"

    status, _, err = run_cli(
        capsys,
        "train",
        train_csv,
        "--target",
        "species",
        "--output",
        model,
        "--epochs",
        "200",
        "--test-fraction",
        "0",
        "-q",
    )

    assert status == 0, err
    assert evaluate_json(capsys, model, test_csv)["accuracy"] >= 0.93


def test_train_noisy_sine_regression(tmp_path, capsys):
    train_csv, test_csv = write_split(tmp_path, "sine", seed=0, noise=0.05)
    model = tmp_path / "sine.safetensors"

    status, out, err = run_cli(
        capsys,
        "train",
        train_csv,
        "--target",
        "y",
        "--output",
        model,
        "--hidden",
        "32",
        "--batch-size",
        "8",
        "--epochs",
        "100",
        "--test-fraction",
        "0",
        "-q",
    )

    assert status == 0, err
    assert "test split" not in out
    metrics = evaluate_json(capsys, model, test_csv)
    assert set(metrics) == {"cost", "mse", "r2", "n_samples"}
    assert metrics["r2"] >= 0.98
    assert metrics["mse"] < 0.01


def test_demo_reaches_97_percent(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    status, out, err = run_cli(capsys, "demo", "-q")

    assert status == 0, err
    printed = float(out.split("test accuracy: ")[1].split()[0])
    assert printed >= 0.97
    assert "model saved to layerwise-demo.safetensors" in out

    # The saved model scores the same on the split the demo held out.
    X, y = load_digits(return_X_y=True)
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=DEMO_SETTINGS.seed
    )
    model = load(tmp_path / "layerwise-demo.safetensors")
    assert model.score(X_test, y_test) == pytest.approx(printed, abs=5e-5)


def test_demo_output_option_and_progress_bar(tmp_path, capsys):
    model = tmp_path / "digits.safetensors"

    status, out, err = run_cli(capsys, "demo", "--output", model)

    assert status == 0, err
    assert model.is_file()
    assert f"model saved to {model}" in out
    assert "60/60" in err


# Data sets, formats and the table schema ---------------------------------------


def test_train_builtin_dataset_then_predict(tmp_path, capsys):
    model = tmp_path / "moons.safetensors"

    status, out, err = run_cli(
        capsys, "train", "--dataset", "moons", "--output", model, "-q"
    )
    assert status == 0, err
    assert float(out.split("accuracy ")[1].split(",")[0]) >= 0.9

    status, out, err = run_cli(capsys, "predict", model, "--dataset", "moons")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction"
    assert len(lines) == 501
    assert set(lines[1:]) == {"0", "1"}


def test_tsv_and_parquet_inputs(tmp_path, capsys):
    frame = load_dataset("circles", n_samples=200)
    frame.to_csv(tmp_path / "circles.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "circles.parquet")
    frame.to_csv(tmp_path / "circles.txt", sep=";", index=False)
    model = tmp_path / "circles.safetensors"

    status, _, err = run_cli(
        capsys, "train", tmp_path / "circles.tsv", "--target", "label", "-q",
        "--output", model,
    )  # fmt: skip
    assert status == 0, err

    tsv = evaluate_json(capsys, model, tmp_path / "circles.tsv")
    parquet = evaluate_json(capsys, model, tmp_path / "circles.parquet")
    semicolon = evaluate_json(capsys, model, tmp_path / "circles.txt", "--sep", ";")
    assert tsv == parquet
    assert tsv == semicolon
    assert tsv["n_samples"] == 200


def test_text_features_are_one_hot_encoded(tmp_path, capsys):
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], size=300)
    size = rng.normal(size=300)
    label = np.where(colour == "red", "stop", "go")
    data = tmp_path / "signals.csv"
    pd.DataFrame({"colour": colour, "size": size, "action": label}).to_csv(
        data, index=False
    )
    model_path = tmp_path / "signals.safetensors"

    status, out, err = run_cli(
        capsys, "train", data, "--target", "action", "--output", model_path, "-q"
    )
    assert status == 0, err
    assert "accuracy 1.0000" in out

    model = load(model_path)
    table = model.extra_metadata_["table"]
    assert table["categories"] == {"colour": ["blue", "green", "red"]}
    assert table["feature_columns"] == ["colour", "size"]
    assert table["target_column"] == "action"
    assert table["task"] == "classification"
    assert model.n_features_in_ == 4

    unseen = tmp_path / "unseen.csv"
    pd.DataFrame({"size": [0.1, 0.2], "colour": ["red", "purple"]}).to_csv(
        unseen, index=False
    )
    status, out, err = run_cli(capsys, "predict", model_path, unseen)
    assert status == 0, err
    assert out.splitlines()[:2] == ["prediction", "stop"]


def test_constant_feature_column_is_allowed(tmp_path, capsys):
    frame = load_dataset("moons", n_samples=200)
    frame.insert(0, "constant", 5.0)
    data = tmp_path / "moons.csv"
    frame.to_csv(data, index=False)

    status, _, err = run_cli(
        capsys, "train", data, "--target", "label", "-q",
        "--output", tmp_path / "m.safetensors",
    )  # fmt: skip

    assert status == 0, err
    assert evaluate_json(capsys, tmp_path / "m.safetensors", data)["accuracy"] > 0.85


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        (list(range(20)) * 2, "classification"),
        (list(range(21)) * 2, "regression"),
        (list(range(10)), "regression"),
        ([3, 3, 5, 5, 7], "regression"),
        ([0.5, 1.5, 2.5], "regression"),
        ([1.0, 2.0, 1.0], "regression"),
    ],
)
def test_infer_task_rule(values, expected):
    assert infer_task(pd.Series(values)) == expected


def test_task_option_overrides_rule(tmp_path, capsys):
    frame = load_dataset("wine")
    data = tmp_path / "wine.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "wine.safetensors"

    status, out, err = run_cli(
        capsys, "train", data, "--target", "cultivar", "--task", "regression",
        "--epochs", "20", "--output", model, "-q",
    )  # fmt: skip

    assert status == 0, err
    assert "r2" in out
    assert load(model).extra_metadata_["table"]["task"] == "regression"


def test_model_fitted_on_dataframe(tmp_path, capsys):
    frame = load_dataset("moons", n_samples=200)
    features = frame[["x1", "x2"]]
    model = NeuralNetwork((8,), activation="tanh", random_state=0)
    model.fit(features, frame["label"], epochs=50, learning_rate=0.5)
    model_path = tmp_path / "api.safetensors"
    model.save(model_path)
    data = tmp_path / "moons.csv"
    frame[["label", "x2", "x1"]].to_csv(data, index=False)

    metrics = evaluate_json(capsys, model_path, data, "--target", "label")
    status, _, err = run_cli(capsys, "evaluate", model_path, data)

    assert metrics["accuracy"] == model.score(features, frame["label"])
    assert status == 2
    assert_one_error_line(err, "--target")


def test_verbose_option_logs_steps(capsys, trained_model):
    model, test_csv = trained_model

    status, _, err = run_cli(capsys, "evaluate", model, test_csv, "-v")

    assert status == 0
    assert f"layerwise: INFO: loaded {model}" in err
    assert "layerwise: INFO: read 20 rows and 3 columns" in err


# Saved models in a fresh process ---------------------------------------------


@pytest.mark.parametrize("name", ["breast_cancer", "sine"])
def test_predictions_identical_in_fresh_process(tmp_path, name):
    target = TARGET_COLUMNS[name]
    train_csv, test_csv = write_split(tmp_path, name, seed=0)
    train = read_table(train_csv)
    test = read_table(test_csv)
    schema = TableSchema.fit(train, target, infer_task(train[target]))
    model = NeuralNetwork((16,), standardize=True, task=schema.task, random_state=0)
    model.fit(schema.transform(train, "train"), train[target].to_numpy(), epochs=20)
    model.extra_metadata_ = {"table": schema.to_dict()}
    expected = model.predict(schema.transform(test, "test"))
    model_path = tmp_path / "model.safetensors"
    model.save(model_path)
    output = tmp_path / "predictions.csv"

    result = subprocess.run(
        [sys.executable, "-m", "layerwise", "predict", str(model_path),
         str(test_csv), "--output", str(output)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    predicted = pd.read_csv(output)["prediction"].to_numpy()
    if name == "sine":
        # CSV stores each float32 with its shortest exact decimal form.
        predicted = predicted.astype(expected.dtype)
    assert np.array_equal(predicted, expected)


def test_help_in_fresh_process():
    result = subprocess.run(
        [sys.executable, "-m", "layerwise", "--help"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    for command in ("demo", "train", "evaluate", "predict"):
        assert command in result.stdout


def test_train_help_names_units_and_defaults(capsys):
    status = main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())

    assert status == 0
    assert "(default: 64,32)" in out
    assert "(default: 0.2)" in out


# User errors -----------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    """Return (model path, test CSV path) of a small model trained on moons."""
    directory = tmp_path_factory.mktemp("trained")
    train_csv, test_csv = write_split(directory, "moons", seed=0, n_samples=100)
    model = directory / "moons.safetensors"
    status = main(
        ["train", str(train_csv), "--target", "label", "--epochs", "5",
         "--output", str(model), "-q"]
    )  # fmt: skip
    assert status == 0
    return model, test_csv


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "nope.csv", "--target", "y", "--output", "m"], ["'nope.csv'"]),
        (["train", "--dataset", "mnist", "--output", "m"], ["'mnist'"]),
        (["train", "--dataset", "iris", "--hidden", "64,x", "--output", "m"],
         ["--hidden", "'64,x'"]),
        (["train", "--dataset", "iris", "--hidden", "0", "--output", "m"], ["'0'"]),
        (["train", "--dataset", "iris", "--learning-rate", "-1", "--output", "m"],
         ["--learning-rate", "'-1'"]),
        (["train", "--dataset", "iris", "--epochs", "ten", "--output", "m"],
         ["--epochs", "'ten'"]),
        (["train", "--dataset", "iris", "--test-fraction", "1.5", "--output", "m"],
         ["--test-fraction", "'1.5'"]),
        (["train", "--dataset", "iris", "--activation", "gelu", "--output", "m"],
         ["'gelu'"]),
        (["train", "--dataset", "iris"], ["--output"]),
        (["train", "--dataset", "iris", "--target", "colour", "--output", "m"],
         ["'colour'", "species"]),
        (["train", "--dataset", "iris", "--task", "regression", "--output", "m"],
         ["regression"]),
        (["evaluate", "missing.safetensors", "--dataset", "iris"],
         ["'missing.safetensors'"]),
        (["frobnicate"], ["'frobnicate'"]),
        ([], ["COMMAND"]),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(capsys, argv, fragments):
    status, out, err = run_cli(capsys, *argv)

    assert status == 2
    assert out == ""
    assert_one_error_line(err, *fragments)


def test_data_file_and_dataset_together(tmp_path, capsys, trained_model):
    model, test_csv = trained_model

    status, _, err = run_cli(capsys, "predict", model, test_csv, "--dataset", "iris")

    assert status == 2
    assert_one_error_line(err, "not both")


def test_missing_target_option(tmp_path, capsys, trained_model):
    _, test_csv = trained_model

    status, _, err = run_cli(capsys, "train", test_csv, "--output", tmp_path / "m")

    assert status == 2
    assert_one_error_line(err, "--target")


def test_unknown_extension(tmp_path, capsys):
    data = tmp_path / "table.dat"
    data.write_text("a,b\n1,2\n")

    status, _, err = run_cli(capsys, "train", data, "--target", "b", "--output", "m")

    assert status == 2
    assert_one_error_line(err, "'.dat'", "--sep")


def test_text_file_as_model(tmp_path, capsys, trained_model):
    _, test_csv = trained_model
    fake = tmp_path / "fake.safetensors"
    fake.write_text("not a model\n")

    status, _, err = run_cli(capsys, "evaluate", fake, test_csv)

    assert status == 2
    assert_one_error_line(err, str(fake), "not a readable safetensors file")


def test_foreign_safetensors_model(tmp_path, capsys, trained_model):
    _, test_csv = trained_model
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": np.zeros((2, 2), np.float32)}, str(foreign))

    status, _, err = run_cli(capsys, "predict", foreign, test_csv)

    assert status == 2
    assert_one_error_line(err, str(foreign), "not a layerwise model")


def test_text_in_numeric_column(tmp_path, capsys, trained_model):
    model, test_csv = trained_model
    frame = pd.read_csv(test_csv)
    frame["x2"] = frame["x2"].astype(object)
    frame.loc[3, "x2"] = "n/a-value"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)

    status, out, err = run_cli(capsys, "predict", model, bad)

    assert status == 2
    assert out == ""
    assert_one_error_line(err, "'x2'", "row 4", "'n/a-value'")


def test_stray_text_in_training_column(tmp_path, capsys):
    frame = load_dataset("moons", n_samples=50)
    frame["x1"] = frame["x1"].astype(object)
    frame.loc[10, "x1"] = "oops"
    data = tmp_path / "typo.csv"
    frame.to_csv(data, index=False)

    status, _, err = run_cli(
        capsys, "train", data, "--target", "label", "--output", tmp_path / "m"
    )

    assert status == 2
    assert_one_error_line(err, "'x1'", "row 11", "'oops'")


@pytest.mark.parametrize("column", ["x1", "label"])
def test_missing_value_names_column(tmp_path, capsys, column):
    frame = load_dataset("moons", n_samples=50)
    frame[column] = frame[column].astype(float)
    frame.loc[7, column] = np.nan
    data = tmp_path / "gaps.csv"
    frame.to_csv(data, index=False)

    status, _, err = run_cli(
        capsys, "train", data, "--target", "label", "--output", tmp_path / "m"
    )

    assert status == 2
    assert_one_error_line(err, f"column {column!r}", "missing value in row 8")


def test_missing_feature_column_at_prediction(tmp_path, capsys, trained_model):
    model, test_csv = trained_model
    reduced = tmp_path / "reduced.csv"
    pd.read_csv(test_csv).drop(columns="x2").to_csv(reduced, index=False)

    status, _, err = run_cli(capsys, "evaluate", model, reduced)

    assert status == 2
    assert_one_error_line(err, "'x2'", "not found")


def test_unseen_class_label_in_evaluate(tmp_path, capsys, trained_model):
    model, test_csv = trained_model
    frame = pd.read_csv(test_csv)
    frame.loc[0, "label"] = 7
    relabelled = tmp_path / "relabelled.csv"
    frame.to_csv(relabelled, index=False)

    status, _, err = run_cli(capsys, "evaluate", model, relabelled)

    assert status == 2
    assert_one_error_line(err, "label", "7", "[0, 1]")


# Regression targets, training options and model kinds ------------------------


def test_diabetes_regression_with_early_stopping(capsys, tmp_path):
    model = tmp_path / "diabetes.safetensors"

    status, out, err = run_cli(
        capsys, "train", "--dataset", "diabetes", "--hidden", "16",
        "--early-stopping", "--output", model, "-q",
    )  # fmt: skip

    assert status == 0, err
    r2 = float(out.split("r2 ")[1].split(",")[0])
    # Ordinary least squares reaches R² 0.33 on the same 20% test split.
    assert r2 > 0.25
    assert load(model)._target_encoder.kind == "regression"


@pytest.mark.parametrize(
    "options",
    [
        ["--optimizer", "momentum", "--schedule", "step"],
        ["--optimizer", "nesterov", "--schedule", "cosine", "--l2", "0.01"],
        ["--optimizer", "adam", "--learning-rate", "0.01", "--schedule",
         "exponential", "--l1", "0.001"],
        ["--optimizer", "rmsprop", "--learning-rate", "0.01", "--schedule",
         "invscaling", "--dropout", "0.1"],
        ["--optimizer", "adagrad", "--learning-rate", "0.1", "--schedule", "plateau",
         "--validation-fraction", "0.2"],
        ["--optimizer", "lbfgs", "--class-weight", "balanced"],
        ["--class-weight", "0=2,1=1", "--early-stopping", "--patience", "3"],
    ],
)  # fmt: skip
def test_training_options_reach_accuracy(capsys, tmp_path, options):
    model = tmp_path / "moons.safetensors"

    status, out, err = run_cli(
        capsys, "train", "--dataset", "moons", "--hidden", "16", "--epochs", "40",
        "--output", model, "-q", *options,
    )  # fmt: skip

    assert status == 0, err
    assert float(out.split("accuracy ")[1].split(",")[0]) >= 0.85


def test_momentum_builds_sgd_with_momentum():
    from layerwise._cli_train import TrainingSettings, _optimizer

    optimizer = _optimizer(TrainingSettings(optimizer="nesterov"))

    assert optimizer.momentum == 0.9
    assert optimizer.nesterov is True
    assert optimizer.learning_rate == 0.01


def test_early_stopping_callback_settings():
    from layerwise._cli_train import TrainingSettings, _callbacks

    settings = TrainingSettings(early_stopping=True, patience=4)
    (callback,) = _callbacks(settings)

    assert settings.validation == 0.1
    assert callback.monitor == "val_cost"
    assert callback.patience == 4
    assert callback.restore_best_weights is True


def test_interrupted_training_is_saved(capsys, tmp_path, monkeypatch):
    import layerwise.training

    real_run_epoch = layerwise.training.run_epoch
    calls = []

    def interrupt_third_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(layerwise.training, "run_epoch", interrupt_third_epoch)
    model_path = tmp_path / "m.safetensors"

    status, out, err = run_cli(
        capsys, "train", "--dataset", "moons", "--output", model_path
    )

    assert status == 130, err
    assert "layerwise: WARNING: training interrupted during epoch 3" in err
    assert "end of epoch 2" in err
    assert f"model saved to {model_path}" in out
    assert load(model_path).n_features_in_ == 2


def test_cnn_and_rnn_on_digits_subset(capsys, tmp_path):
    frame = load_dataset("digits").iloc[:400]
    data = tmp_path / "digits.csv"
    frame.to_csv(data, index=False)
    layer_specs = {"cnn": "conv:4:3,pool:2,flatten,dense:16", "rnn": "lstm:16"}

    for kind, spec in layer_specs.items():
        model_path = tmp_path / f"{kind}.safetensors"
        status, out, err = run_cli(
            capsys, "train", data, "--target", "digit", "--model", kind,
            "--layers", spec, "--epochs", "8", "--learning-rate", "0.01",
            "--output", model_path, "-q",
        )  # fmt: skip

        assert status == 0, err
        assert float(out.split("accuracy ")[1].split(",")[0]) >= 0.7, kind
        layers = [type(layer).__name__ for layer in load(model_path).network_.layers]
        expected = {
            "cnn": ["Reshape", "Conv2D", "MaxPool2D", "Flatten", "Dense", "Dense"],
            "rnn": ["Reshape", "LSTM", "Dense"],
        }
        assert layers == expected[kind]


def test_layer_spec_grammar():
    from layerwise._cli_layers import hidden_layers_for, parse_layers

    layers = parse_layers("conv:8:5:tanh,avgpool:2,flatten,dense:32,dropout:0.5")
    stack = hidden_layers_for("cnn", layers, 64, dropout=0.2)

    names = [type(layer).__name__ for layer in stack]
    assert names == [
        "Reshape", "Conv2D", "AveragePool2D", "Flatten", "Dense", "Dropout", "Dropout"
    ]  # fmt: skip
    assert stack[0].shape == (1, 8, 8)
    assert stack[1].padding == (2, 2)
    assert stack[5].rate == 0.2
    assert parse_layers("lstm:8:seq,rnn:4")[0].return_sequences is True


# Tables at prediction time and export -----------------------------------------


def test_impute_option_fills_at_prediction(capsys, tmp_path):
    frame = load_dataset("moons", n_samples=200)
    frame.loc[[3, 50], "x1"] = np.nan
    data = tmp_path / "gaps.csv"
    frame.to_csv(data, index=False)
    model_path = tmp_path / "m.safetensors"

    status, _, err = run_cli(
        capsys, "train", data, "--target", "label", "--impute", "median",
        "--output", model_path, "-q",
    )  # fmt: skip
    assert status == 0, err
    table = load(model_path).extra_metadata_["table"]
    status, out, err = run_cli(capsys, "predict", model_path, data)

    assert table["impute_strategy"] == "median"
    assert set(table["fill_values"]) == {"x1", "x2"}
    assert status == 0, err
    assert len(out.splitlines()) == 201


def test_unseen_category_warns_once(capsys, tmp_path):
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "blue"], size=100)
    frame = pd.DataFrame({"colour": colour, "label": colour == "red"})
    data = tmp_path / "train.csv"
    frame.to_csv(data, index=False)
    model_path = tmp_path / "m.safetensors"
    status, _, err = run_cli(
        capsys, "train", data, "--target", "label", "--output", model_path, "-q"
    )
    assert status == 0, err
    new = tmp_path / "new.csv"
    pd.DataFrame({"colour": ["pink", "pink", "teal", "red"]}).to_csv(new, index=False)

    status, _, err = run_cli(capsys, "predict", model_path, new)

    assert status == 0, err
    warnings_printed = [line for line in err.splitlines() if "WARNING" in line]
    assert len(warnings_printed) == 1
    assert "column 'colour'" in warnings_printed[0]
    assert "2 categories not seen in training" in warnings_printed[0]


def test_predict_proba_columns_named_by_class(capsys, tmp_path):
    train_csv, test_csv = write_split(tmp_path, "iris", seed=0)
    model_path = tmp_path / "iris.safetensors"
    status, _, err = run_cli(
        capsys, "train", train_csv, "--target", "species", "--output", model_path,
        "-q",
    )  # fmt: skip
    assert status == 0, err

    status, out, err = run_cli(capsys, "predict", model_path, test_csv, "--proba")

    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["setosa", "versicolor", "virginica"]
    assert len(table) == 30
    np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-5)


def test_predict_proba_rejects_regression(capsys, tmp_path):
    train_csv, test_csv = write_split(tmp_path, "sine", seed=0, n_samples=60)
    model_path = tmp_path / "sine.safetensors"
    run_cli(capsys, "train", train_csv, "--target", "y", "--epochs", "2",
            "--output", model_path, "-q")  # fmt: skip

    status, out, err = run_cli(capsys, "predict", model_path, test_csv, "--proba")

    assert status == 2
    assert out == ""
    assert_one_error_line(err, "--proba", "regression")


def test_export_onnx_matches_predict_proba(capsys, tmp_path, trained_model):
    onnxruntime = pytest.importorskip("onnxruntime")
    model_path, test_csv = trained_model
    output = tmp_path / "moons.onnx"

    status, out, err = run_cli(
        capsys, "export", model_path, "--format", "onnx", "--output", output,
        "--opset", "15",
    )  # fmt: skip

    assert status == 0, err
    assert f"ONNX model saved to {output}" in out
    model = load(model_path)
    X = pd.read_csv(test_csv)[["x1", "x2"]].to_numpy(np.float32)
    session = onnxruntime.InferenceSession(str(output))
    probabilities = session.run(["probabilities"], {"X": X})[0]
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize(
    ("text", "options", "fragments"),
    [
        ("a,label\n1,x\n2,x\n", [], ["only one class", "'x'"]),
        ("a,label\n1,0\n2,1,5\n3,0\n", [], ["failed to parse"]),
        ("a,label\n1,0\n2\n3,1\n", [], ["ragged", "line 3"]),
        ("", [], ["is empty"]),
        ("a,label\n1,0\nfoo,1\n3,0\n4,1\n", ["--test-fraction", "0"],
         ["'a'", "row 2", "'foo'"]),
        (TWO_CLASSES, ["--target", "nope"], ["'nope'", "not found"]),
        (TWO_CLASSES, ["--class-weight", "z=2", "--test-fraction", "0"],
         ["'z'", "classes are ['0', '1']"]),
        (TWO_CLASSES, ["--optimizer", "lbfgs", "--schedule", "step"],
         ["lbfgs", "--schedule"]),
        (TWO_CLASSES, ["--layers", "dense:x"], ["--layers", "'x'"]),
        (TWO_CLASSES, ["--layers", "warp:3"], ["'warp'"]),
        (TWO_CLASSES, ["--class-weight", "a=-1"], ["--class-weight"]),
        (TWO_CLASSES, ["--model", "cnn", "--hidden", "8"], ["--hidden"]),
        ("a,b,label\n1,2,0\n2,3,1\n", ["--model", "cnn", "--test-fraction", "0"],
         ["square"]),
    ],
)  # fmt: skip
def test_bad_tables_and_options_exit_2(capsys, tmp_path, text, options, fragments):
    data = tmp_path / "bad.csv"
    data.write_text(text)
    argv = ["train", data, "--target", "label", "--output", tmp_path / "m", *options]
    if "--target" in options:
        argv[2:4] = []

    status, out, err = run_cli(capsys, *argv)

    assert status == 2
    assert out == ""
    assert_one_error_line(err, *fragments)


def test_unique_integer_target_is_regression(tmp_path):
    data = tmp_path / "regress.csv"
    data.write_text("x,y\n" + "".join(f"{i},{1000 * i}\n" for i in range(10)))
    code = main(
        [
            "train",
            str(data),
            "--target",
            "y",
            "-q",
            "--output",
            str(tmp_path / "m.safetensors"),
        ]
    )
    assert code == 0
    assert load(tmp_path / "m.safetensors").is_classifier is False


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--output", "{tmp}/missing/m.safetensors"], "does not exist"),
        (["--output", "{tmp}"], "is a directory"),
        (["--seed", "-1"], "integer of 0 or more"),
        (["--test-fraction", "0.01"], "raise --test-fraction"),
    ],
)
def test_train_rejects_bad_options_before_training(
    tmp_path, capsys, arguments, message
):
    arguments = [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    if "--output" not in arguments:
        arguments += ["--output", str(tmp_path / "m.safetensors")]
    code = main(["train", "--dataset", "iris", "-q", *arguments])
    assert code == 2
    assert message in capsys.readouterr().err


def test_directory_as_data_and_wrong_separator(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                str(tmp_path),
                "--target",
                "y",
                "-q",
                "--output",
                str(tmp_path / "m.safetensors"),
            ]
        )
        == 2
    )
    assert "is a directory" in capsys.readouterr().err
    data = tmp_path / "semi.csv"
    data.write_text(
        "a;b;label\n" + "".join(f"{i};{2 * i};{i % 2}\n" for i in range(20))
    )
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "label",
                "-q",
                "--output",
                str(tmp_path / "m.safetensors"),
            ]
        )
        == 2
    )
    assert "pass --sep" in capsys.readouterr().err


def test_train_writes_html_report(tmp_path, capsys):
    report = tmp_path / "report.html"
    code = main(
        [
            "train",
            "--dataset",
            "iris",
            "-q",
            "--epochs",
            "20",
            "--output",
            str(tmp_path / "m.safetensors"),
            "--report",
            str(report),
        ]
    )
    assert code == 0
    html = report.read_text()
    assert "<img" in html
    assert "data:image/png;base64," in html
    assert "species" in html
    assert "http://" not in html
    assert "https://" not in html
