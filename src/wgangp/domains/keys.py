"""The ``data.*`` keys each built-in kind reads (:attr:`~wgangp.domains.base.Domain.data_keys`), in
a module without torch: ``wgangp.domains`` names them before a kind's module is imported, and the
config check refuses a key set for a kind that does not read it (never ignored in silence).
``data.path`` and ``data.batch_size`` are every kind's, so not listed."""

IMAGE_KEYS = ("key", "download", "resolution", "max_images", "lsun_class", "dequantize")
TEXT_KEYS = ("download", "seq_len", "max_lines", "text_filter")
TABLE_KEYS = ("label", "label_bins", "categorical", "drop", "holdout", "split_seed")
SIGNAL_KEYS = ("key", "label", "resolution", "length", "resample", "circular", "mirror", "representation", "spectrogram_clip")
