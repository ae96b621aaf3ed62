"""Serving a run's suggestions to other programs (design §16): an OpenAI-compatible HTTP server (`http`), a
Language Server over stdio (`lsp`), both answering from one registry of loaded runs (`models`) through the
same Predictor as the Autocomplete box; the bearer token (`token`); n-gram exports (`ngram_export`).

Qt-free: it imports core, jobs and storage only (the import contract test checks it).
"""
