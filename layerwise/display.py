"""Text views of a network in the W^[l], B^[l] notation."""

from __future__ import annotations


def summary(model) -> str:
    """Return one row per layer with the shapes of W^[l] and B^[l], then totals."""
    model._check_fitted()
    network = model.network_
    rows = [("Layer", "Neurons", "W shape", "B shape", "Activation", "Parameters")]
    rows.append(("0 (input)", str(network.n_inputs), "", "", "", "0"))
    n_layers = len(network.layers)
    for index, layer in enumerate(network.layers, start=1):
        rows.append(_layer_row(index, layer, index == n_layers))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    lines.append(f"Total parameters: {network.n_parameters}")
    lines.append(f"Cost: {network.cost.name}    dtype: {network.dtype}")
    return "\n".join(line.rstrip() for line in lines)


def _shape_text(name: str, index: int, array) -> str:
    return f"{name}^[{index}]: " + "×".join(str(size) for size in array.shape)


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
