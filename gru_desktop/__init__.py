"""GRU Desktop: train a word-level GRU next-word model on your own text and use it for autocomplete."""

__version__ = "0.1.0"
