"""The App's comment classifier: built from ``[sentiment]`` once per App, on first use.

The classifier is kept in the App instance's ``__dict__`` under ``classifier``, the slot a
``functools.cached_property`` named ``classifier`` on :class:`~humas.app.App` would use, so both ways of building it
share one instance.
"""

from __future__ import annotations

from typing import cast

from humas.app import App
from humas.config import Settings
from humas.sentiment.base import Classifier

_SLOT = "classifier"


def build_for_settings(settings: Settings) -> Classifier:
    """A classifier from the ``[sentiment]`` settings (backend, model, threshold, abusive-word list, batch size)."""
    from humas.sentiment.factory import build_classifier

    s = settings.sentiment
    return build_classifier(s.backend, s.model, s.threshold, s.abusive_words_file, s.batch_size)


def classifier_for(app: App) -> Classifier:
    """The App's classifier, built once (model loading takes a moment; never on import)."""
    slot = vars(app)
    found = slot.get(_SLOT)
    if found is None:  # two threads racing here build it twice, and one wins: harmless
        found = slot.setdefault(_SLOT, build_for_settings(app.settings))
    return cast(Classifier, found)


def db_batch_size(app: App) -> int:
    """Comments classified per transaction: large for the linear model, the configured batch for transformers."""
    s = app.settings.sentiment
    return max(s.batch_size, 256) if s.backend == "default" else s.batch_size
