"""layerwise: fully connected neural networks from first principles in NumPy."""

from importlib.metadata import PackageNotFoundError, version

from layerwise.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from layerwise.estimators import NeuralNetworkClassifier, NeuralNetworkRegressor
from layerwise.exceptions import (
    ConvergenceWarning,
    DivergenceError,
    FeatureScaleWarning,
    ModelFileError,
    NotFittedError,
    VanishingGradientWarning,
)
from layerwise.gradcheck import check_gradients
from layerwise.io import load, save
from layerwise.layers import (
    LSTM,
    AveragePool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Reshape,
    SimpleRNN,
)
from layerwise.model import NeuralNetwork
from layerwise.network import Network
from layerwise.optimizers import SGD, Adagrad, Adam, GradientDescent, RMSprop
from layerwise.schedules import (
    ConstantSchedule,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    LearningRateScheduler,
    StepDecay,
)

try:
    __version__ = version("layerwise")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "LSTM",
    "SGD",
    "Adagrad",
    "Adam",
    "AveragePool2D",
    "CSVLogger",
    "Callback",
    "ConstantSchedule",
    "Conv2D",
    "ConvergenceWarning",
    "CosineDecay",
    "Dense",
    "DivergenceError",
    "Dropout",
    "EarlyStopping",
    "ExponentialDecay",
    "FeatureScaleWarning",
    "Flatten",
    "GradientDescent",
    "History",
    "InverseScaling",
    "LearningRateScheduler",
    "MaxPool2D",
    "ModelCheckpoint",
    "ModelFileError",
    "Network",
    "NeuralNetwork",
    "NeuralNetworkClassifier",
    "NeuralNetworkRegressor",
    "NotFittedError",
    "ProgressBar",
    "RMSprop",
    "ReduceLROnPlateau",
    "Reshape",
    "SimpleRNN",
    "StepDecay",
    "TerminateOnNaN",
    "VanishingGradientWarning",
    "__version__",
    "check_gradients",
    "load",
    "save",
]
