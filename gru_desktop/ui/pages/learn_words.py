"""The Learn page's words for core.learn's names: a family's title ("Padding and packing") and what a
misconception tag says in "you … 3 times" ("swapped batch and sequence"); a tag not listed here is shown as
"made the mistake “its words”"."""
from __future__ import annotations

FAMILY_TITLES = {
    "shapes": "Shapes",
    "code": "Code",
    "padding": "Padding and packing",
    "vocabulary": "Vocabulary",
    "parameters": "Parameters",
    "training": "Training trace",
    "trace": "Training trace",
    "behaviour": "Your model's behaviour",
    "behavior": "Your model's behaviour",
    "concepts": "Concepts",
}

# What a misconception tag says in "you … 3 times" (the tags are core.learn's); any other tag is shown as
# "made the mistake “its words”".
MISCONCEPTION_PHRASES = {
    # shapes
    "swapped-batch-seq": "swapped batch and sequence",
    "h_n-batch-first": "expected batch_first to move h_n's batch axis",
    "h_n-no-layer-axis": "left out h_n's layers axis",
    "h_n-for-output": "took h_n for the GRU's output",
    "output-for-h_n": "took the GRU's output for its last state h_n",
    "output-is-last-state": "thought the GRU's output keeps only the last position",
    "layers-concatenated": "thought every layer's output comes out of the GRU",
    "seq-kept": "kept the sequence axis where it is gone",
    "seq-dropped": "dropped the sequence axis where it stays",
    "seq-for-batch": "gave h_n one state per position instead of per sequence",
    "batch-dropped": "dropped the batch axis",
    "bos-extra-position": "gave <bos> a position of its own beyond L",
    "one-hot-ids": "pictured the ids as one-hot vectors",
    "one-hot-for-embed": "pictured the embedding as one-hot vectors",
    "one-id-per-row": "thought a padded row holds one id",
    "table-for-output": "took the embedding table for its output",
    "tied-means-E": "thought tying makes the scores E wide",
    # parameters
    "embed-for-hidden": "took the embedding size E for the hidden size H",
    "hidden-for-embed": "took the hidden size H for the embedding size E",
    "embedding-has-bias": "gave the embedding a bias",
    "every-layer-reads-E": "thought every GRU layer reads E numbers",
    "gru-forgotten": "left out the GRU's parameters",
    "lstm-gates": "counted an LSTM's four blocks instead of the GRU's three",
    "no-biases": "left out the biases",
    "one-bias": "gave each GRU gate one bias instead of two",
    "reserved-not-counted": "forgot the rows of <pad>, <unk> and <bos>",
    "reserved-not-scored": "forgot that the reserved ids are scored too",
    "sizes-added": "added sizes that multiply",
    "tied-assumed": "assumed a tied output layer",
    "tied-counted-twice": "counted the shared embedding twice",
    "tied-ignored": "forgot that the output layer shares the embedding",
    "wrong-bias": "put the bias in the wrong layer",
    # code
    "batch-first-default": "forgot batch_first=True",
    "embedding-args-swapped": "swapped nn.Embedding's arguments",
    "input-hidden-swapped": "swapped nn.GRU's input and hidden sizes",
    "layers-off-by-one": "miscounted num_layers",
    "linear-args-swapped": "swapped nn.Linear's in and out features",
    "pad-is-unk": "took <pad> for <unk>",
    "projection-bias": "gave the projection a bias",
    "tied-still-HV": "kept an H × V matrix with tied weights",
    "vocab-for-input": "fed the GRU V-wide inputs instead of E-wide embeddings",
    "gru-needs-h0": "thought nn.GRU needs an h_0",
    "linear-needs-2d": "thought nn.Linear needs a 2-D input",
    "h0-batch-first": "put h_0's batch axis first",
    "h0-no-layer-axis": "left out h_0's layers axis",
    "unbatched-fails": "thought an unbatched input fails",
    "h_n-not-scorable": "thought the dense layer cannot score h_n",
    "fixed-length-embedding": "thought an embedding needs a fixed length",
    "ids-as-floats": "fed the embedding float ids",
    "ids-reach-V": "let ids reach V",
    "ids-into-gru": "fed the ids straight into the GRU",
    "swapped-embed-seq": "swapped the embedding and sequence axes",
    # padding and packing
    "padding-counted": "counted padding positions as real words",
    "all-positions": "counted every position as padding",
    "real-for-padding": "counted the real positions instead of the padding",
    "total-for-step": "counted the whole batch where one step was asked",
    "bos-is-padding": "took <bos> for padding",
    "bos-not-a-target": "thought a sentence's first word is never a target",
    "cut-ignored": "forgot that long sentences are cut at L",
    "last-position-only": "thought only the last position predicts",
    "off-by-one-step": "were one step off",
    "packing-reversed": "reversed what packing keeps",
    "zero-embedding-zero-loss": "thought a zero input gives zero loss",
    # vocabulary
    "distinct-for-running": "counted distinct words where running words were asked",
    "once-distinct-for-running": "counted distinct words where running words were asked",
    "embed-for-vocab": "took E for the number of words",
    "every-word-gets-id": "thought every word gets an id",
    "hidden-for-vocab": "took the hidden size H for the vocabulary size V",
    "linear-weight-transposed": "transposed nn.Linear's weight",
    "once-means-unk": "thought every word seen once becomes <unk>",
    "projection-for-output": "took the projection's size for the output layer's",
    "rare-dropped": "thought rare words are dropped",
    "rare-is-padding": "took rare words for padding",
    "two-scores-per-word": "gave each word two scores",
    "vocab-covers-all": "thought V covers every word",
    # training
    "accuracy-decides": "thought accuracy picks the kept epoch",
    "train-loss-decides": "thought the training loss picks the kept epoch",
    "first-epoch-kept": "thought the first epoch is kept",
    "last-epoch-kept": "thought the last epoch is kept",
    "bits-for-nats": "read the loss in bits instead of nats",
    "log10-for-ln": "read the loss as a base-10 log",
    "loss-is-perplexity": "took the loss for the perplexity",
    "perplexity-is-loss": "took the perplexity for the loss",
    "perplexity-inverted": "inverted the perplexity",
    "perplexity-is-accuracy": "took perplexity for accuracy",
    "perplexity-is-time": "took perplexity for a time",
    "perplexity-is-unk": "took perplexity for the unknown words",
    "overfit-misread": "misread overfitting",
    "rising-val-is-divergence": "took rising validation loss for divergence",
    "converging-misread": "misread a converging run",
    "plateau-misread": "misread a plateau",
    # concepts
    "candidate-forgotten": "forgot the candidate state's weights",
    "gate-copies-input": "thought a gate copies the input into the state",
    "gru-is-rnn": "took the GRU for a plain RNN",
    "gru-is-smaller": "thought a GRU is smaller than a plain RNN",
    "gru-more-gates": "gave the GRU more blocks than an LSTM",
    "gru-not-sequential": "thought a GRU reads all words at once",
    "reset-ignores-input": "thought the reset gate shuts out the input",
    "reset-is-update": "mixed up the reset and update gates",
    "reset-zeroes-state": "thought the reset gate wipes the state",
    "update-replaces": "read the update gate the wrong way round",
    "update-resets": "thought the update gate zeroes the state",
    # the model's behaviour
    "outside-top3": "picked a word outside the model's top 3",
    "runner-up": "picked the model's second choice",
    "third-choice": "picked the model's third choice",
    "text-continuation": "picked what the text says instead of what the model says",
    "unlikely-word": "picked a word the model finds unlikely",
    "gru-always-wins": "thought the GRU always weighs most in the blend",
    "counts-are-minor": "underrated the counts in the blend",
    "cache-overrated": "overrated the recency cache in the blend",
    "state-cache-overrated": "overrated the state cache in the blend",
}


def family_title(family: str) -> str:
    return FAMILY_TITLES.get(family, family.replace("_", " ").replace("-", " ").capitalize())


def misconception_phrase(tag: str) -> str:
    return MISCONCEPTION_PHRASES.get(tag, "made the mistake “" + tag.replace("-", " ") + "”")


def times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"
