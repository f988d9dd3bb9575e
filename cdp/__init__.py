"""Customer data platform core: configuration, canonical models, synthetic data and the CLI."""

__all__ = ["__version__"]

__version__ = "0.1.0"
