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
        W, B = layer.params["W"], layer.params["B"]
        role = "output" if index == n_layers else "hidden"
        rows.append(
            (
                f"{index} ({role})",
                str(layer.output_size),
                f"W^[{index}]: {W.shape[0]}×{W.shape[1]}",
                f"B^[{index}]: {B.shape[0]}×{B.shape[1]}",
                layer.activation.name,
                str(layer.n_parameters),
            )
        )
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
