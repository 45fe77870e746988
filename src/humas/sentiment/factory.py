"""Building a classifier from settings: the one place that knows the backends."""

from __future__ import annotations

from pathlib import Path

from humas.errors import ConfigError
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter
from humas.sentiment.base import Classifier

BACKENDS = ("default", "transformers")


def build_classifier(
    backend: str = "default",
    model: str | None = None,
    threshold: float | None = None,
    abusive_words_file: Path | None = None,
    batch_size: int = 32,
) -> Classifier:
    """Build a classifier.

    ``backend="default"`` loads the shipped linear model, or the artifact directory ``model`` written by
    ``humas sentiment train --out DIR``; ``threshold`` overrides the artifact's escalation threshold.
    ``backend="transformers"`` loads the Hugging Face checkpoint ``model`` (local directory or hub id; required)
    and needs the ``humas[transformers]`` extra. ``abusive_words_file`` replaces the shipped abusive-word list.
    Raises ConfigError for an unknown backend, InvalidInput for a bad model or list, Unavailable for a missing extra.
    """
    abusive = AbusiveFilter.from_file(abusive_words_file) if abusive_words_file else default_abusive_filter()
    if backend == "default":
        from humas.sentiment.model import LinearClassifier

        return LinearClassifier.load(model, threshold=threshold, abusive=abusive, batch_size=max(batch_size, 256))
    if backend == "transformers":
        if not model:
            raise ConfigError("the transformers backend needs a model: a local checkpoint directory or a hub id")
        from humas.sentiment.transformers_backend import TransformersClassifier

        return TransformersClassifier(
            model, batch_size=batch_size, threshold=threshold, abusive=abusive
        )
    raise ConfigError(f"unknown sentiment backend {backend!r}; choose one of {', '.join(BACKENDS)}")
