import numpy as np

from layerwise import NeuralNetwork


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
