"""Exception and warning classes raised by layerwise."""


class NotFittedError(ValueError, AttributeError):
    """Raised when a model is used for prediction before it has been trained.

    Inherits from both ``ValueError`` and ``AttributeError`` so that callers
    catching either one keep working.
    """


class DivergenceError(FloatingPointError):
    """Raised when training diverges.

    Divergence means the cost or a weight becomes NaN or infinite, or the cost
    grows far beyond the cost of predicting zero. The model keeps the weights
    of the last epoch whose weights were all finite.
    """

    def __init__(self, message: str, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch


class ModelFileError(ValueError):
    """Raised when a model file is missing, corrupt or not a layerwise model."""


class ConvergenceWarning(UserWarning):
    """Warned when training stops at its iteration limit before converging."""


class DataConversionWarning(UserWarning):
    """Warned when input data is converted in a way the caller may not expect."""


class InconsistentVersionWarning(UserWarning):
    """Warned when a model file was written by another version of layerwise."""


class FeatureScaleWarning(UserWarning):
    """Warned when input features differ in scale enough to slow or derail training."""


class VanishingGradientWarning(UserWarning):
    """Warned when every gradient of an epoch is exactly zero, so nothing can learn."""
