"""humas: SOP-driven publishing for Indonesian government PR units."""

__version__ = "0.1.0"
