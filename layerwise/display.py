"""Text views of a network in the W^[l], B^[l] notation."""

from __future__ import annotations

from layerwise.layers import Dense, Dropout


class Summary(str):
    """The text of ``summary``; an interactive session shows it as a table."""

    def __repr__(self) -> str:
        return str(self)


def summary(model) -> Summary:
    """Return one row per layer with its output and parameter shapes, then totals.

    A network of Dense and Dropout layers gets the columns Neurons, W shape and
    B shape. Any other layer kind has parameters with other names (LSTM's W_ih,
    W_hh, b_ih and b_hh) or outputs with more than one axis. Such a network gets
    a table with each layer's class name, its output shape per sample and one
    row per parameter array.
    """
    model._check_fitted()
    network = model.network_
    if all(isinstance(layer, Dense | Dropout) for layer in network.layers):
        rows = _dense_rows(network)
    else:
        rows = _layer_rows(network)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    lines.append(f"Total parameters: {network.n_parameters}")
    lines.append(f"Cost: {network.cost.name}    dtype: {network.dtype}")
    return Summary("\n".join(line.rstrip() for line in lines))


def _shape_text(name: str, index: int, array) -> str:
    return f"{name}^[{index}]: " + _size_text(array.shape)


def _size_text(size: int | tuple[int, ...]) -> str:
    """Return an int as is and a shape as its sizes joined by ×, such as 8×26×26."""
    if isinstance(size, tuple):
        return "×".join(str(value) for value in size)
    return str(size)


# Dense networks ---------------------------------------------------------------


def _dense_rows(network) -> list[tuple[str, ...]]:
    rows = [("Layer", "Neurons", "W shape", "B shape", "Activation", "Parameters")]
    rows.append(("0 (input)", str(network.n_inputs), "", "", "", "0"))
    n_layers = len(network.layers)
    for index, layer in enumerate(network.layers, start=1):
        rows.append(_layer_row(index, layer, index == n_layers))
    return rows


def _layer_row(index: int, layer, is_output: bool) -> tuple[str, ...]:
    """Return the summary cells of one layer; W and B stay empty when it has none."""
    W, B = layer.params.get("W"), layer.params.get("B")
    activation = getattr(layer, "activation", None)
    if W is None:
        role = type(layer).__name__
    else:
        role = "output" if is_output else "hidden"
    return (
        f"{index} ({role})",
        str(layer.output_size),
        "" if W is None else _shape_text("W", index, W),
        "" if B is None else _shape_text("B", index, B),
        repr(layer) if activation is None else activation.name,
        str(layer.n_parameters),
    )


# Networks with other layer kinds ----------------------------------------------


def _layer_rows(network) -> list[tuple[str, ...]]:
    """Return a row per layer, plus one more per parameter array after its first.

    Output shapes are per sample, without the sample axis.
    """
    header = ("Layer", "Type", "Output shape", "Parameters", "Activation", "Count")
    rows = [header, ("0 (input)", "", _size_text(network.n_inputs), "", "", "0")]
    n_layers = len(network.layers)
    for index, layer in enumerate(network.layers, start=1):
        label = f"{index} (output)" if index == n_layers else str(index)
        shapes = [
            _shape_text(name, index, array) for name, array in layer.params.items()
        ]
        activation = getattr(layer, "activation", None)
        rows.append(
            (
                label,
                type(layer).__name__,
                _size_text(layer.output_size),
                shapes[0] if shapes else "",
                "" if activation is None else activation.name,
                str(layer.n_parameters),
            )
        )
        rows += [("", "", "", shape, "", "") for shape in shapes[1:]]
    return rows
