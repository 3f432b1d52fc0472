"""layerwise: fully connected neural networks from first principles in NumPy."""

from importlib.metadata import PackageNotFoundError, version

from layerwise.callbacks import Callback, History, ProgressBar
from layerwise.estimators import NeuralNetworkClassifier, NeuralNetworkRegressor
from layerwise.exceptions import (
    ConvergenceWarning,
    DivergenceError,
    ModelFileError,
    NotFittedError,
)
from layerwise.gradcheck import check_gradients
from layerwise.io import load, save
from layerwise.layers import Dense
from layerwise.model import NeuralNetwork
from layerwise.network import Network
from layerwise.optimizers import GradientDescent

try:
    __version__ = version("layerwise")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Callback",
    "ConvergenceWarning",
    "Dense",
    "DivergenceError",
    "GradientDescent",
    "History",
    "ModelFileError",
    "Network",
    "NeuralNetwork",
    "NeuralNetworkClassifier",
    "NeuralNetworkRegressor",
    "NotFittedError",
    "ProgressBar",
    "__version__",
    "check_gradients",
    "load",
    "save",
]
