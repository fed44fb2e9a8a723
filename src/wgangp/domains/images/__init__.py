"""Images: MNIST / Fashion-MNIST / CIFAR-10 (torchvision), LSUN, image folders and arrays.

Data: :mod:`wgangp.data.images`, :mod:`wgangp.data.folder`, :mod:`wgangp.data.lsun`. Metrics
(:mod:`wgangp.domains.images.metrics`): sliced W1 by default; FID / KID / IS / coverage and the
conditional ones on request. Pictures: ``samples.png`` and, every ``train.sample_every``
iterations, a grid from fixed noise in ``samples/`` and TensorBoard. Augmentation:
:mod:`wgangp.domains.images.augment`. Sample files: ``.png`` grids, folders of PNGs and uint8
``.npz`` (:mod:`wgangp.domains.images.export`).
"""
from __future__ import annotations

from pathlib import Path

from wgangp.data.folder import has_image_files, load_labelled_folder
from wgangp.data.images import ImageSource, load_array_labels, load_image_file, load_torchvision
from wgangp.domains import shared_metrics  # noqa: F401  (registers w1)
from wgangp.domains.base import EVAL_SEED, Domain, register_domain
from wgangp.domains.keys import IMAGE_KEYS
from wgangp.domains.images import metrics as _metrics  # noqa: F401  (registers the image metrics)
from wgangp.errors import UserError


def grid_layout(n_classes: int, rows: int = 8) -> tuple[int, int]:
    """``(n samples, per row)`` of a sample grid: ``rows`` x ``rows``, or for a conditional run with
    up to 16 classes one column per class (samples cycle through the classes)."""
    if n_classes and n_classes <= 16:
        return rows * n_classes, n_classes
    return rows * rows, rows


# data.name -> the torchvision.datasets class that downloads and reads it
TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}


class Images(Domain):
    name = "images"
    data_names = (*TORCHVISION, "images", "lsun")
    data_keys = IMAGE_KEYS
    base_metrics = ("sliced_w1",)
    spatial = True                                  # (C, H, W): train.diffaugment applies
    classifier_options = ("resolution",)

    def classifier_match(self, data_path) -> int:
        return 1                                    # any labelled data the other kinds do not claim

    def train_classifier(self, data_path, out, epochs, seed, replace, resolution: int = 0) -> dict:
        """The small image CNN, saved as a feature net (``epochs`` default 2; ``resolution`` resizes
        folder images): :func:`wgangp.domains.images.classifier.train_classifier`."""
        from wgangp.domains.images.classifier import train_classifier

        return train_classifier(data_path, out, epochs=2 if epochs is None else epochs, seed=seed, resolution=resolution)

    def validate(self, cfg) -> None:
        d = cfg.data
        if d.name == "images" and not d.path:
            raise UserError("data.name=images needs data: add --set data.path=DIR (an image folder), DIR.tar.gz, or FILE.npz/.npy")
        if d.name == "lsun" and not d.path:
            raise UserError("data.name=lsun needs the folder holding <category>_lmdb: add --set data.path=DIR")
        for key in ("resolution", "max_images"):
            if getattr(d, key) < 0:
                raise UserError(f"config key 'data.{key}' must be >= 0, got {getattr(d, key)}")

    def build_source(self, data_cfg, seed: int, conditional: bool) -> ImageSource:
        """An array file, an image folder or archive (``data.name=images``, or a path that is one), an
        LSUN category, or a torchvision set, held in memory."""
        path = Path(data_cfg.path) if data_cfg.path else None
        labels = None
        if data_cfg.path.endswith((".npz", ".npy")):
            images = load_image_file(data_cfg.path, data_cfg.key)
            labels = load_array_labels(data_cfg.path, data_cfg.key, len(images))
        elif data_cfg.name == "images" or (path is not None and (path.name.endswith((".tar.gz", ".tgz", ".tar"))
                                                                or has_image_files(path))):
            images, labels, _ = load_labelled_folder(data_cfg.path, data_cfg.resolution, "train", data_cfg.max_images)
        elif data_cfg.name == "lsun":
            from wgangp.data.lsun import load_lsun

            images = load_lsun(data_cfg.path, data_cfg.lsun_class, data_cfg.resolution, data_cfg.max_images)
        else:
            images, labels = load_torchvision(TORCHVISION[data_cfg.name], data_cfg.name, data_cfg.path, data_cfg.download, with_labels=True)
        if len(images) < data_cfg.batch_size:
            raise UserError(f"{len(images)} images is fewer than data.batch_size={data_cfg.batch_size}; "
                            "lower it with --set data.batch_size=N")
        return ImageSource(data_cfg.batch_size, seed, points=images, dequantize=data_cfg.dequantize, labels=labels)

    def writers(self) -> dict:
        from wgangp.domains.images.export import write_images

        return {suffix: write_images for suffix in (".png", ".npz", "/")}     # .npy: the generic, streamed writer

    def pictures(self, run, title: str) -> list[Path]:
        from wgangp.viz import save_grid

        n, nrow = grid_layout(run.n_classes, rows=10)
        return [save_grid(run.sample(n, seed=EVAL_SEED), run.run_dir / "samples.png", nrow=nrow)]

    def snapshot(self, run, logger) -> None:
        from wgangp.viz import image_grid, save_grid

        n, nrow = grid_layout(run.n_classes)
        images = run.sample(n, seed=EVAL_SEED)          # the same noise every time
        (run.run_dir / "samples").mkdir(exist_ok=True)
        save_grid(images, run.run_dir / "samples" / f"step-{run.step:07d}.png", nrow=nrow)
        logger.image("samples", image_grid(images, nrow=nrow), run.step)

    def live_panels(self, run, cache: dict) -> dict:
        from wgangp.viz.images import png_data_uri

        n, nrow = grid_layout(run.n_classes)
        return {"kind": "images", "grid": png_data_uri(run.sample(n, seed=EVAL_SEED), nrow=nrow)}   # fixed noise

    def augment(self, run, out: Path, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
        from wgangp.domains.images.augment import augment_images

        return augment_images(run, out, per_class, seed, filter_net, max_draws)

    def summary(self, m: dict) -> list[str]:
        parts = [f"FID {m['fid']:.2f}"] if m.get("fid") is not None else []
        if m.get("sliced_w1") is not None:
            parts.append(f"sliced W1 {m['sliced_w1']:.4f}")
        if m.get("w1") is not None:
            parts.append(f"W1 {m['w1']:.4f}")
        return parts


register_domain(Images())
