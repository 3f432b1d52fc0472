import numpy as np

from layerwise import NeuralNetwork
from layerwise.layers import LSTM, Conv2D, Dense, Flatten, MaxPool2D, Reshape, SimpleRNN


def five_four_three_model() -> NeuralNetwork:
    """The network of five inputs, four hidden neurons and three outputs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 5))
    y = np.array([0, 1, 2] * 3)
    model = NeuralNetwork((4,), random_state=0)
    model.fit(X, y, epochs=1)
    return model


def test_summary_shows_shapes_of_5_4_3_network():
    text = five_four_three_model().summary()

    assert "W^[1]: 4×5" in text
    assert "B^[1]: 4×1" in text
    assert "W^[2]: 3×4" in text
    assert "B^[2]: 3×1" in text


def test_summary_counts_parameters_of_5_4_3_network():
    rows = five_four_three_model().summary().splitlines()

    hidden = next(row for row in rows if row.startswith("1 (hidden)"))
    output = next(row for row in rows if row.startswith("2 (output)"))
    assert hidden.split()[-1] == "24"
    assert output.split()[-1] == "15"
    assert "Total parameters: 39" in rows


def test_summary_lists_input_layer_first():
    rows = five_four_three_model().summary().splitlines()

    assert rows[0].split()[:2] == ["Layer", "Neurons"]
    assert rows[2].split()[:3] == ["0", "(input)", "5"]


def fitted_on_digits(hidden_layers) -> NeuralNetwork:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    model = NeuralNetwork(hidden_layers=hidden_layers, random_state=0)
    model.fit(X[:60] / 16.0, y[:60], epochs=1)
    return model


def rows_by_label(text: str) -> dict[str, list[str]]:
    """Return each layer row of a summary split into words, keyed by its label."""
    rows = {}
    for line in text.splitlines():
        words = line.split()
        if words and words[0].isdigit():
            rows[words[0]] = words
    return rows


def test_summary_of_cnn_shows_types_and_shapes():
    model = fitted_on_digits(
        [
            Reshape((1, 8, 8)),
            Conv2D(4, 3, activation="relu"),
            MaxPool2D(2),
            Flatten(),
            Dense(8, "relu"),
        ]
    )

    text = model.summary()
    rows = rows_by_label(text)

    assert text.splitlines()[0].split() == [
        "Layer",
        "Type",
        "Output",
        "shape",
        "Parameters",
        "Activation",
        "Count",
    ]
    assert rows["0"][:3] == ["0", "(input)", "64"]
    assert rows["1"] == ["1", "Reshape", "1×8×8", "0"]
    assert rows["2"] == ["2", "Conv2D", "4×6×6", "W^[2]:", "4×1×3×3", "relu", "40"]
    assert "B^[2]: 4×1" in text
    assert rows["3"] == ["3", "MaxPool2D", "4×3×3", "0"]
    assert rows["4"] == ["4", "Flatten", "36", "0"]
    assert rows["5"][:5] == ["5", "Dense", "8", "W^[5]:", "8×36"]
    assert rows["6"][:5] == ["6", "(output)", "Dense", "10", "W^[6]:"]
    assert f"Total parameters: {model.network_.n_parameters}" in text


def test_summary_of_lstm_lists_four_arrays():
    model = fitted_on_digits(
        [Reshape((8, 8)), LSTM(6, return_sequences=True), SimpleRNN(5)]
    )

    text = model.summary()
    rows = rows_by_label(text)

    assert rows["2"][:5] == ["2", "LSTM", "8×6", "W_ih^[2]:", "24×8"]
    assert rows["2"][-1] == "384"
    assert "W_hh^[2]: 24×6" in text
    assert "b_ih^[2]: 24×1" in text
    assert "b_hh^[2]: 24×1" in text
    assert rows["3"][:5] == ["3", "SimpleRNN", "5", "W_ih^[3]:", "5×6"]
    assert "W_hh^[3]: 5×5" in text
    assert "b_hh^[3]: 5×1" in text


def test_summary_of_dense_network_keeps_neuron_columns():
    header = five_four_three_model().summary().splitlines()[0]

    assert header.split() == [
        "Layer",
        "Neurons",
        "W",
        "shape",
        "B",
        "shape",
        "Activation",
        "Parameters",
    ]
