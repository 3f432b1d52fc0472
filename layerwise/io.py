"""Model files: one ``.safetensors`` file with the weights and JSON metadata.

Tensors are named ``layers.{i}.W`` and ``layers.{i}.B`` (layer i + 1 in the
W^[l] notation), plus ``input.mean`` and ``input.scale`` when the model
standardises its inputs. The metadata contains the architecture, the target
encoding, the dtype and the library version as JSON strings. Pickle is never
used, so loading a file cannot run code.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from layerwise.exceptions import InconsistentVersionWarning, ModelFileError

FORMAT_NAME = "layerwise"
FORMAT_VERSION = "1"


def _library_version() -> str:
    from layerwise import __version__

    return __version__


def write_atomically(path: str | os.PathLike, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and then replace ``path`` in one rename.
    """
    path = Path(path)
    if path.is_symlink():
        # Replace the file the link points to, and keep the link.
        path = path.resolve()
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(
            f"cannot save to {str(path)!r}: directory {str(directory)!r} does not exist"
        )
    if path.exists() and not path.is_file():
        raise IsADirectoryError(
            f"cannot save to {str(path)!r}: it exists and is not a regular file; "
            "choose a file name"
        )
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        # mkstemp creates the file readable by its owner only; give it the
        # permissions a plain open() would, under the current umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(model, path: str | os.PathLike) -> None:
    """Write a trained ``NeuralNetwork`` to ``path`` as safetensors, atomically."""
    from safetensors.numpy import save as save_tensors

    model._check_fitted()
    tensors = {
        name: np.ascontiguousarray(value)
        for name, value, _ in model.network_.named_parameters()
    }
    if getattr(model, "input_mean_", None) is not None:
        tensors["input.mean"] = np.ascontiguousarray(model.input_mean_)
        tensors["input.scale"] = np.ascontiguousarray(model.input_scale_)
    feature_names = getattr(model, "feature_names_in_", None)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "network": json.dumps(model.network_.get_config()),
        "targets": json.dumps(model._target_encoder.get_config()),
        "estimator": json.dumps(_estimator_config(model)),
        "n_features_in": str(model.n_features_in_),
        "feature_names": json.dumps(
            None if feature_names is None else list(feature_names)
        ),
        "dtype": str(model.network_.dtype),
    }
    for key, value in getattr(model, "extra_metadata_", {}).items():
        metadata[f"extra.{key}"] = json.dumps(value)
    write_atomically(path, save_tensors(tensors, metadata=metadata))


def _estimator_config(model) -> dict[str, object]:
    """Return the constructor arguments that JSON can store.

    Objects (an Activation instance, a list of layers) are stored as None: the
    network itself is rebuilt from its own config, so only the settings for
    continued training and the model's repr are lost.
    """
    import inspect

    config = {}
    for key in inspect.signature(type(model).__init__).parameters:
        if key == "self":
            continue
        value = getattr(model, key, None)
        if isinstance(value, tuple | list) and all(
            isinstance(item, str | int | float | bool) for item in value
        ):
            value = list(value)
        elif not isinstance(value, str | int | float | bool | None):
            value = None
        config[key] = value
    return config


def _read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} not found")
    try:
        with safe_open(str(path), framework="numpy") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(
            f"{str(path)!r} is not a readable safetensors file ({error}); save the "
            "model again with model.save(path)"
        ) from None
    if metadata.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{str(path)!r} is a safetensors file but not a layerwise model "
            "(its metadata has no 'format': 'layerwise' entry)"
        )
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} uses layerwise file format version {version!r}, but "
            f"this version of layerwise reads version {FORMAT_VERSION!r}; save the "
            "model again with a matching layerwise version"
        )
    return tensors, metadata


def load(path: str | os.PathLike):
    """Read a model written by ``save``; it predicts exactly what the saved one did.

    The file keeps the weights, not the training state: the optimizer's
    moments and momentum, the random generator's position and the history
    start afresh, so continuing with ``partial_fit`` or a warm start does not
    reproduce continuing the original object.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not a valid layerwise model.

    Warns
    -----
    InconsistentVersionWarning
        If the file was written by another version of layerwise.
    """
    from layerwise._targets import TargetEncoder
    from layerwise.model import NeuralNetwork
    from layerwise.network import Network

    tensors, metadata = _read(path)
    if metadata.get("library_version") != _library_version():
        warnings.warn(
            f"{str(path)!r} was saved by layerwise {metadata.get('library_version')} "
            f"and is loaded by {_library_version()}; check its predictions",
            InconsistentVersionWarning,
            stacklevel=2,
        )
    try:
        config = json.loads(metadata["estimator"])
        if not isinstance(config, dict):
            raise ModelFileError("the 'estimator' metadata must be a JSON object")
        if isinstance(config.get("hidden_layer_sizes"), list):
            config["hidden_layer_sizes"] = tuple(config["hidden_layer_sizes"])
        model = NeuralNetwork(**config)
        network = Network.from_config(json.loads(metadata["network"]))
        if metadata["dtype"] not in ("float32", "float64"):
            raise ModelFileError(
                f"dtype must be 'float32' or 'float64', got {metadata['dtype']!r}"
            )
        dtype = np.dtype(metadata["dtype"])
        n_features = int(metadata["n_features_in"])
        if n_features < 1:
            raise ModelFileError(f"n_features_in must be positive, got {n_features}")
        network.build(n_features, np.random.default_rng(0), dtype)
        for name, value, _ in network.named_parameters():
            stored = tensors[name]
            if stored.shape != value.shape:
                raise ModelFileError(
                    f"tensor {name!r} has shape {stored.shape}, but the architecture "
                    f"needs {value.shape}"
                )
            if not np.isfinite(stored).all():
                raise ModelFileError(f"tensor {name!r} contains NaN or infinity")
            value[...] = stored
        model.network_ = network
        model._target_encoder = TargetEncoder.from_config(
            json.loads(metadata["targets"])
        )
        _check_target_encoder(model._target_encoder, network.n_outputs)
        model.n_features_in_ = n_features
        names = json.loads(metadata.get("feature_names", "null"))
        if names is not None:
            if not isinstance(names, list) or len(names) != n_features:
                raise ModelFileError(
                    f"feature_names must list {n_features} names, got {names!r}"
                )
            model.feature_names_in_ = np.asarray(names, dtype=object)
        model.input_mean_, model.input_scale_ = _input_scaling(
            tensors, n_features, dtype
        )
        model.optimizer_ = None
        # Continued training (partial_fit, warm_start) draws from a generator
        # seeded like the original model's; its state at save time is not kept.
        model._rng = np.random.default_rng(model.random_state)
        model.extra_metadata_ = {
            key[len("extra.") :]: json.loads(value)
            for key, value in metadata.items()
            if key.startswith("extra.")
        }
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        if isinstance(error, ModelFileError):
            raise ModelFileError(f"{str(path)!r}: {error}") from None
        raise ModelFileError(
            f"{str(path)!r} has incomplete or invalid layerwise metadata ({error!r})"
        ) from None
    return model


def _input_scaling(tensors, n_features: int, dtype: np.dtype):
    """Return the stored input mean and scale, checked, or (None, None)."""
    mean, scale = tensors.get("input.mean"), tensors.get("input.scale")
    if mean is None and scale is None:
        return None, None
    for name, value in (("input.mean", mean), ("input.scale", scale)):
        if value is None or value.shape != (n_features,):
            shape = None if value is None else value.shape
            raise ModelFileError(
                f"tensor {name!r} must have shape ({n_features},), got {shape}"
            )
        if value.dtype.kind != "f" or not np.isfinite(value).all():
            raise ModelFileError(f"tensor {name!r} must be finite floating point")
    if (scale <= 0).any():
        raise ModelFileError("tensor 'input.scale' must be positive")
    return mean.astype(dtype), scale.astype(dtype)


def _check_target_encoder(encoder, n_outputs: int) -> None:
    kinds = ("binary", "multiclass", "multilabel", "regression")
    if encoder.kind not in kinds:
        raise ModelFileError(
            f"target kind must be one of {kinds}, got {encoder.kind!r}"
        )
    if encoder.n_outputs != n_outputs:
        raise ModelFileError(
            f"the targets need {encoder.n_outputs} outputs but the network has "
            f"{n_outputs}"
        )
    if encoder.kind in ("binary", "multiclass"):
        expected = 2 if encoder.kind == "binary" else n_outputs
        classes = encoder.classes
        if classes is None or classes.shape != (expected,):
            raise ModelFileError(
                f"a {encoder.kind} model needs {expected} class labels, got "
                f"{None if classes is None else classes.tolist()}"
            )
        if classes.dtype.kind not in "biufUS":
            raise ModelFileError(f"class labels have unsupported dtype {classes.dtype}")
    if encoder.target_ndim not in (1, 2):
        raise ModelFileError(f"target_ndim must be 1 or 2, got {encoder.target_ndim}")
