"""Export of trained models to ONNX, for inference with onnxruntime and other runtimes.

The graph takes ``X`` of shape (n_samples, n_features), one sample per row, so
each Dense layer becomes ``Gemm(A, W, B, transB=1)``, which computes A·Wᵀ + B
and uses W^[l] in its (n_l, n_{l−1}) layout unchanged.

New layer kinds register an emitter in ``LAYER_EMITTERS`` under their class
name, and new activations one in ``ACTIVATION_EMITTERS`` under their ``name``.
An emitter receives the ``GraphBuilder``, the layer (or activation), a prefix
for the tensor names it creates and the name of its input tensor, and returns
the name of its output tensor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from types import ModuleType

import numpy as np

from layerwise.activations import Activation
from layerwise.layers import (
    LSTM,
    AveragePool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    Reshape,
)
from layerwise.layers._recurrent import _Recurrent

#: The opset that ``export_onnx`` targets by default.
DEFAULT_OPSET = 17
#: The oldest supported opset. The graph passes Squeeze its axes as an input,
#: a form that Squeeze accepts from opset 13 on.
MIN_OPSET = 13

_INSTALL_HINT = "install it with: pip install layerwise[onnx]"


def _import_onnx() -> ModuleType:
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            f"ONNX export needs the onnx package, which is not installed; "
            f"{_INSTALL_HINT}"
        ) from error
    return onnx


class GraphBuilder:
    """The nodes and initializers of an ONNX graph under construction.

    Floating-point initializers are stored as float32, the element type of
    every activation tensor in the graph.
    """

    float_type = np.float32

    def __init__(self) -> None:
        self._onnx = _import_onnx()
        self.nodes: list = []
        self.initializers: list = []

    def add_initializer(
        self, name: str, array: np.ndarray, *, keep_dtype: bool = False
    ) -> str:
        """Store ``array`` as a constant tensor called ``name`` and return the name.

        Floating-point arrays become float32 unless ``keep_dtype`` is true.
        """
        array = np.asarray(array)
        if array.dtype.kind == "f" and not keep_dtype:
            array = array.astype(self.float_type)
        elif array.dtype.kind == "U":
            # onnx.numpy_helper stores text from object arrays of str.
            array = array.astype(object)
        tensor = self._onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.initializers.append(tensor)
        return name

    def tensor_type(self, dtype: object) -> int:
        """Return the ``onnx.TensorProto`` element type of a NumPy ``dtype``."""
        return self._onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def element_type(self, name: str) -> int:
        """Return the ``onnx.TensorProto`` element type of initializer ``name``."""
        return next(t.data_type for t in self.initializers if t.name == name)

    def add_node(
        self, op_type: str, inputs: list[str], output: str, **attributes: object
    ) -> str:
        """Append one operator node with a single output called ``output``."""
        self.add_node_with_outputs(op_type, inputs, [output], **attributes)
        return output

    def add_node_with_outputs(
        self, op_type: str, inputs: list[str], outputs: list[str], **attributes: object
    ) -> None:
        """Append one operator node. An empty output name leaves that output out."""
        name = next(output for output in outputs if output)
        node = self._onnx.helper.make_node(
            op_type, inputs, outputs, name=name, **attributes
        )
        self.nodes.append(node)


LayerEmitter = Callable[[GraphBuilder, Layer, str, str], str]
ActivationEmitter = Callable[[GraphBuilder, Activation, str, str], str]


def _emit_identity(graph, activation, prefix, input_name):
    return input_name


def _element_wise(op_type: str) -> ActivationEmitter:
    def emit(graph, activation, prefix, input_name):
        return graph.add_node(op_type, [input_name], f"{prefix}.A")

    return emit


def _emit_leaky_relu(graph, activation, prefix, input_name):
    # ONNX LeakyRelu gives x for x >= 0 and alpha·x below, which equals
    # layerwise's rule because both are 0 at x = 0.
    return graph.add_node(
        "LeakyRelu", [input_name], f"{prefix}.A", alpha=activation.negative_slope
    )


def _emit_softmax(graph, activation, prefix, input_name):
    # Samples are rows here, so softmax normalises over axis 1.
    return graph.add_node("Softmax", [input_name], f"{prefix}.A", axis=1)


ACTIVATION_EMITTERS: dict[str, ActivationEmitter] = {
    "identity": _emit_identity,
    "leaky_relu": _emit_leaky_relu,
    "relu": _element_wise("Relu"),
    "sigmoid": _element_wise("Sigmoid"),
    "softmax": _emit_softmax,
    "tanh": _element_wise("Tanh"),
}


def _emit_activation(graph, activation, prefix, input_name):
    emitter = ACTIVATION_EMITTERS.get(activation.name)
    if emitter is None:
        raise NotImplementedError(
            f"ONNX export does not support activation {activation.name!r} in "
            f"{prefix}; supported activations: {sorted(ACTIVATION_EMITTERS)}"
        )
    return emitter(graph, activation, prefix, input_name)


def _emit_dense(graph: GraphBuilder, layer: Dense, prefix: str, input_name: str):
    W = graph.add_initializer(f"{prefix}.W", layer.W)
    B = graph.add_initializer(f"{prefix}.B", layer.B.reshape(-1))
    Z = graph.add_node("Gemm", [input_name, W, B], f"{prefix}.Z", transB=1)
    return _emit_activation(graph, layer.activation, prefix, Z)


def _emit_dropout(graph: GraphBuilder, layer: Dropout, prefix: str, input_name: str):
    # Inverted dropout is the identity at prediction time.
    return input_name


# Every other layer keeps one sample per row as well: a tensor of shape
# (N, *sample_shape), where layerwise stores sample_shape + (N,). Both read a
# sample's values in row-major order, so a layerwise Reshape or Flatten is an
# ONNX Reshape or Flatten that keeps axis 0, and images are NCHW as ONNX's Conv
# and pooling operators expect.


def _emit_reshape(graph: GraphBuilder, layer: Reshape, prefix: str, input_name: str):
    # A 0 in an ONNX Reshape shape copies that axis of the input: here N.
    shape = graph.add_initializer(
        f"{prefix}.shape", np.array([0, *layer.shape], np.int64)
    )
    return graph.add_node("Reshape", [input_name, shape], f"{prefix}.A")


def _emit_flatten(graph: GraphBuilder, layer: Flatten, prefix: str, input_name: str):
    return graph.add_node("Flatten", [input_name], f"{prefix}.A", axis=1)


def _emit_conv(graph: GraphBuilder, layer: Conv2D, prefix: str, input_name: str):
    W = graph.add_initializer(f"{prefix}.W", layer.W)
    B = graph.add_initializer(f"{prefix}.B", layer.B.reshape(-1))
    ph, pw = layer.padding
    Z = graph.add_node(
        "Conv",
        [input_name, W, B],
        f"{prefix}.Z",
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.stride),
        pads=[ph, pw, ph, pw],  # begin of each spatial axis, then end
    )
    return _emit_activation(graph, layer.activation, prefix, Z)


def _emit_max_pool(graph: GraphBuilder, layer: MaxPool2D, prefix: str, input_name):
    return graph.add_node(
        "MaxPool",
        [input_name],
        f"{prefix}.A",
        kernel_shape=list(layer.pool_size),
        strides=list(layer.stride),
    )


def _emit_average_pool(
    graph: GraphBuilder, layer: AveragePool2D, prefix: str, input_name: str
):
    # AveragePool2D has no padding, so every window divides by its full size
    # and count_include_pad makes no difference. It is set to match
    # torch.nn.AvgPool2d's default all the same.
    return graph.add_node(
        "AveragePool",
        [input_name],
        f"{prefix}.A",
        kernel_shape=list(layer.pool_size),
        strides=list(layer.stride),
        count_include_pad=1,
    )


# ONNX stacks the LSTM gate blocks as input, output, forget, cell (i, o, f, c),
# and layerwise as PyTorch does: input, forget, cell, output (i, f, g, o).
_LSTM_BLOCKS_IN_ONNX_ORDER = (0, 3, 1, 2)


def _onnx_gate_rows(layer: _Recurrent, array: np.ndarray) -> np.ndarray:
    """Return ``array``'s row blocks in ONNX's gate order, with a leading axis of 1.

    The leading axis is ONNX's num_directions, which is 1 for a forward layer.
    """
    if layer.gates == 1:
        return array[None]
    units = layer.units
    blocks = [array[k * units : (k + 1) * units] for k in _LSTM_BLOCKS_IN_ONNX_ORDER]
    return np.concatenate(blocks)[None]


def _emit_recurrent(
    graph: GraphBuilder, layer: _Recurrent, prefix: str, input_name: str
):
    """Emit an ONNX ``RNN`` (tanh) or ``LSTM`` node for SimpleRNN or LSTM.

    The ONNX operators read sequences as (T, N, F), so the (N, T, F) input is
    transposed first. The hidden states Y come out as (T, 1, N, H) and the last
    one, Y_h, as (1, N, H).
    """
    params = layer.params
    W = graph.add_initializer(f"{prefix}.W", _onnx_gate_rows(layer, params["W_ih"]))
    R = graph.add_initializer(f"{prefix}.R", _onnx_gate_rows(layer, params["W_hh"]))
    # ONNX's B is (1, 2·gates·H): the input biases, then the recurrent ones.
    biases = [
        _onnx_gate_rows(layer, params[key]).reshape(1, -1) for key in ("b_ih", "b_hh")
    ]
    B = graph.add_initializer(f"{prefix}.B", np.concatenate(biases, axis=1))
    sequence = graph.add_node(
        "Transpose", [input_name], f"{prefix}.time_major", perm=[1, 0, 2]
    )
    op_type = "LSTM" if isinstance(layer, LSTM) else "RNN"
    if layer.return_sequences:
        Y = f"{prefix}.Y"
        graph.add_node_with_outputs(
            op_type, [sequence, W, R, B], [Y], hidden_size=layer.units
        )
        axes = graph.add_initializer(f"{prefix}.axes", np.array([1], np.int64))
        Y = graph.add_node("Squeeze", [Y, axes], f"{prefix}.Y_squeezed")
        return graph.add_node("Transpose", [Y], f"{prefix}.A", perm=[1, 0, 2])
    Y_h = f"{prefix}.Y_h"
    graph.add_node_with_outputs(
        op_type, [sequence, W, R, B], ["", Y_h], hidden_size=layer.units
    )
    axes = graph.add_initializer(f"{prefix}.axes", np.array([0], np.int64))
    return graph.add_node("Squeeze", [Y_h, axes], f"{prefix}.A")


LAYER_EMITTERS: dict[str, LayerEmitter] = {
    "AveragePool2D": _emit_average_pool,
    "Conv2D": _emit_conv,
    "Dense": _emit_dense,
    "Dropout": _emit_dropout,
    "Flatten": _emit_flatten,
    "LSTM": _emit_recurrent,
    "MaxPool2D": _emit_max_pool,
    "Reshape": _emit_reshape,
    "SimpleRNN": _emit_recurrent,
}


def _emit_layers(graph: GraphBuilder, layers: list[Layer], input_name: str) -> str:
    A = input_name
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        emitter = LAYER_EMITTERS.get(kind)
        if emitter is None:
            raise NotImplementedError(
                f"ONNX export does not support layer type {kind!r} (layers[{index}]); "
                f"supported layer types: {sorted(LAYER_EMITTERS)}"
            )
        A = emitter(graph, layer, f"layers.{index}", A)
    return A


def _emit_input_scaling(graph: GraphBuilder, model, input_name: str) -> str:
    if getattr(model, "input_mean_", None) is None:
        return input_name
    mean = graph.add_initializer("input.mean", model.input_mean_)
    scale = graph.add_initializer("input.scale", model.input_scale_)
    centred = graph.add_node("Sub", [input_name, mean], "input.centred")
    return graph.add_node("Div", [centred, scale], "input.scaled")


def _classes_array(classes: np.ndarray) -> np.ndarray:
    """Return the class labels in the element type of the ``label`` output."""
    kind = classes.dtype.kind
    if kind in "iu":
        return classes.astype(np.int64)
    if kind in "bfU":
        return classes
    raise NotImplementedError(
        f"ONNX export supports integer, boolean, floating-point and text class "
        f"labels, got dtype {classes.dtype} ({classes[:3].tolist()!r}...); train "
        "with labels of one of those types"
    )


def _emit_outputs(graph: GraphBuilder, encoder, A: str) -> dict[str, tuple]:
    """Add the output nodes and return {output name: (element type, shape)}."""
    if encoder.kind == "regression":
        return _emit_regression_outputs(graph, encoder, A)
    if encoder.kind == "multilabel":
        return _emit_multilabel_outputs(graph, encoder, A)
    return _emit_class_outputs(graph, encoder, A)


def _emit_regression_outputs(graph: GraphBuilder, encoder, A: str):
    float_type = graph.tensor_type(graph.float_type)
    if encoder.target_mean is not None:
        scale = graph.add_initializer("output.scale", encoder.target_scale)
        mean = graph.add_initializer("output.mean", encoder.target_mean)
        graph.add_node("Mul", [A, scale], "output.scaled")
        graph.add_node("Add", ["output.scaled", mean], "output.unscaled")
        A = "output.unscaled"
    if encoder.target_ndim == 1:
        axes = graph.add_initializer("output.axes", np.array([1], np.int64))
        graph.add_node("Squeeze", [A, axes], "prediction")
        return {"prediction": (float_type, ["n_samples"])}
    graph.add_node("Identity", [A], "prediction")
    return {"prediction": (float_type, ["n_samples", encoder.n_outputs])}


def _emit_multilabel_outputs(graph: GraphBuilder, encoder, A: str):
    int64 = graph.tensor_type(np.int64)
    half = graph.add_initializer("output.threshold", np.array(0.5, np.float32))
    graph.add_node("Identity", [A], "probabilities")
    above = graph.add_node("Greater", [A, half], "output.above_threshold")
    graph.add_node("Cast", [above], "label", to=int64)
    shape = ["n_samples", encoder.n_outputs]
    return {
        "probabilities": (graph.tensor_type(graph.float_type), shape),
        "label": (int64, shape),
    }


def _emit_class_outputs(graph: GraphBuilder, encoder, A: str):
    # Floating-point labels keep their precision so that they equal predict's.
    classes = graph.add_initializer(
        "classes", _classes_array(encoder.classes), keep_dtype=True
    )
    if encoder.kind == "binary":
        # predict_proba returns the columns 1 − p and p, and predict picks
        # classes[1] when p > 0.5.
        one = graph.add_initializer("output.one", np.array(1.0, np.float32))
        complement = graph.add_node("Sub", [one, A], "output.complement")
        graph.add_node("Concat", [complement, A], "probabilities", axis=1)
        half = graph.add_initializer("output.threshold", np.array(0.5, np.float32))
        above = graph.add_node("Greater", [A, half], "output.above_threshold")
        int64 = graph.tensor_type(np.int64)
        index = graph.add_node("Cast", [above], "output.index_column", to=int64)
        axes = graph.add_initializer("output.axes", np.array([1], np.int64))
        index = graph.add_node("Squeeze", [index, axes], "output.class_index")
    else:
        graph.add_node("Identity", [A], "probabilities")
        # ArgMax returns the first maximum, as numpy.argmax does.
        index = graph.add_node("ArgMax", [A], "output.class_index", axis=1, keepdims=0)
    graph.add_node("Gather", [classes, index], "label", axis=0)
    return {
        "probabilities": (
            graph.tensor_type(graph.float_type),
            ["n_samples", len(encoder.classes)],
        ),
        "label": (graph.element_type(classes), ["n_samples"]),
    }


def _check_opset(onnx: ModuleType, opset: object) -> int:
    newest = onnx.defs.onnx_opset_version()
    if (
        isinstance(opset, bool)
        or not isinstance(opset, int | np.integer)
        or not MIN_OPSET <= opset <= newest
    ):
        raise ValueError(
            f"opset must be an integer from {MIN_OPSET} to {newest} (the newest "
            f"that onnx {onnx.__version__} supports), got {opset!r}; the default is "
            f"{DEFAULT_OPSET}"
        )
    return int(opset)


def _metadata(model) -> dict[str, str]:
    from layerwise import __version__

    encoder = model._target_encoder
    classes = None if encoder.classes is None else encoder.classes.tolist()
    feature_names = getattr(model, "feature_names_in_", None)
    return {
        "layerwise_version": __version__,
        "task": encoder.kind,
        "classes": json.dumps(classes),
        "n_features_in": str(model.n_features_in_),
        "feature_names": json.dumps(
            None if feature_names is None else [str(n) for n in feature_names]
        ),
        "source_dtype": str(model.network_.dtype),
    }


def build_onnx_model(model, *, opset: int = DEFAULT_OPSET):
    """Build the ONNX graph of a trained ``NeuralNetwork`` as an ``onnx.ModelProto``.

    See ``export_onnx`` for the inputs, outputs and limits of the graph.
    """
    onnx = _import_onnx()
    opset = _check_opset(onnx, opset)
    model._check_fitted()
    helper = onnx.helper

    graph = GraphBuilder()
    A = _emit_input_scaling(graph, model, "X")
    A = _emit_layers(graph, model.network_.layers, A)
    outputs = _emit_outputs(graph, model._target_encoder, A)

    float_type = graph.tensor_type(graph.float_type)
    inputs = [
        helper.make_tensor_value_info(
            "X", float_type, ["n_samples", model.n_features_in_]
        )
    ]
    output_infos = [
        helper.make_tensor_value_info(name, element_type, shape)
        for name, (element_type, shape) in outputs.items()
    ]
    graph_proto = helper.make_graph(
        graph.nodes,
        "layerwise",
        inputs,
        output_infos,
        initializer=graph.initializers,
        doc_string=repr(model),
    )
    metadata = _metadata(model)
    opset_imports = [helper.make_opsetid("", opset)]
    onnx_model = helper.make_model(
        graph_proto,
        opset_imports=opset_imports,
        producer_name="layerwise",
        producer_version=metadata["layerwise_version"],
        # The oldest IR version that carries this opset, so that older
        # runtimes can load the file.
        ir_version=helper.find_min_ir_version_for(opset_imports),
    )
    helper.set_model_props(onnx_model, metadata)
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def export_onnx(model, path: str | os.PathLike, *, opset: int = DEFAULT_OPSET) -> None:
    """Write a trained ``NeuralNetwork`` to ``path`` as an ONNX model, atomically.

    The graph has one input, ``X``: float32 of shape (n_samples, n_features),
    one sample per row. It standardises X with the stored mean and scale when
    the model was trained with ``standardize=True``, then applies each Dense
    layer as ``Gemm`` followed by its activation. Dropout layers are left out
    because they are the identity at prediction time. Reshape and Flatten
    become ``Reshape`` and ``Flatten``, Conv2D ``Conv`` (NCHW), MaxPool2D and
    AveragePool2D ``MaxPool`` and ``AveragePool``, and SimpleRNN and LSTM the
    ``RNN`` and ``LSTM`` operators between two ``Transpose`` nodes, because
    those read sequences time first.

    Outputs, by task:

    - classification (binary and multi-class): ``probabilities`` (float32,
      (n_samples, n_classes)), equal to ``predict_proba``, and ``label``
      ((n_samples,)), equal to ``predict``: int64 for integer class labels,
      string for text labels, and bool or floating point for those labels;
    - multi-label: ``probabilities`` (float32, (n_samples, n_labels)) and
      ``label`` (int64 0/1, (n_samples, n_labels));
    - regression: ``prediction`` (float32), of shape (n_samples,) when the
      model was trained on 1-D targets and (n_samples, n_targets) otherwise.

    The model metadata (``metadata_props``) contains ``layerwise_version``,
    ``task``, ``classes`` (JSON), ``n_features_in``, ``feature_names`` (JSON)
    and ``source_dtype``.

    Parameters
    ----------
    model : NeuralNetwork
        A trained model.
    path : str or path-like
        The ``.onnx`` file to write. Its directory must exist.
    opset : int, default=17
        The ONNX operator set version, from 13 to the newest that the
        installed ``onnx`` package supports.

    Raises
    ------
    ImportError
        If the ``onnx`` package is not installed.
    NotFittedError
        If the model is not trained.
    NotImplementedError
        If the network contains a layer or activation without an ONNX emitter,
        or the class labels are not integers, booleans, floats or text.
    ValueError
        If ``opset`` is out of range.

    Notes
    -----
    The graph computes in float32, and the weights of a float64 model are
    rounded to float32. The outputs therefore equal ``predict_proba`` and
    ``predict`` up to float32 rounding (below 1e-6 on the data sets in
    tests/test_export.py). A sample whose probability lies within that
    distance of 0.5, or of a tie between classes, may get a different label
    from the one ``predict`` returns.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import onnxruntime
    >>> from layerwise import NeuralNetwork
    >>> from layerwise.export import export_onnx
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array(["no", "yes", "yes", "yes"])
    >>> model = NeuralNetwork((4,), activation="tanh", random_state=0)
    >>> history = model.fit(X, y, epochs=500, learning_rate=0.5)
    >>> path = Path(tempfile.mkdtemp()) / "or.onnx"
    >>> export_onnx(model, path)
    >>> session = onnxruntime.InferenceSession(path)
    >>> session.run(["label"], {"X": X.astype(np.float32)})[0].tolist()
    ['no', 'yes', 'yes', 'yes']
    """
    from layerwise.io import write_atomically

    onnx_model = build_onnx_model(model, opset=opset)
    write_atomically(path, onnx_model.SerializeToString())
