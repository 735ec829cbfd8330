"""GlimpseEnv: classify an image by looking at it through a small multi-scale retina."""

from __future__ import annotations

from pathlib import Path

from ram_env.core import BatchedEnv
from ram_env.episodes import GlimpseEpisodes, GlimpseTask

__all__ = ["GlimpseEnv"]


class GlimpseEnv(BatchedEnv):
    """The Recurrent Attention Model's task (Mnih et al., 2014) as a Gymnasium environment.

    ## Description
    An image (an MNIST digit, possibly translated on a larger canvas and surrounded by clutter) is
    hidden from the agent, which sees it only through a retina: ``k`` square patches centred on one
    location, patch ``i`` covering ``g * 2**i`` pixels, each area-averaged down to ``g x g``. At each
    step the agent chooses where to look next; at the last step it names the class.

    ## Action Space
    ``Dict(location=Box(-1, 1, (2,), float32), label=Discrete(n_classes))``. ``location`` is ``(x, y)``,
    ``(-1, -1)`` the top-left corner and ``(0, 0)`` the centre; values outside [-1, 1] are clipped.
    ``label`` is read at the last step only. NaN or inf, a label out of range, or a wrongly shaped
    action raises ``ValueError`` naming the field.

    ## Observation Space
    ``Dict(glimpse=Box(0, 1, (k, g, g), float32), location=Box(-1, 1, (2,), float32))``: the retina
    patches (pixel values / 255, scale 0 first) and the location they were taken at.

    ## Rewards
    0 at every step but the last, where it is 1.0 if ``label`` is the image's class, else 0.0.

    ## Starting State
    A random image of the split (or ``options={"image_index": i}``) on a fresh canvas; the first
    glimpse is at a uniformly random location (``start="center"``: at the centre;
    ``options={"location": (x, y)}``: there).

    ## Episode End
    After ``n_glimpses`` steps (terminated). The agent sees ``n_glimpses`` glimpses: the reset's and
    those of the first ``n_glimpses - 1`` steps. There is no truncation.

    ## Info
    ``image_index`` always; at the end also ``label`` (the true class, for the paper's hybrid
    supervised loss), ``prediction`` and ``is_correct``.

    ## Arguments
    ``canvas_size``, ``n_clutter``, ``clutter_size``, ``n_glimpses``, ``glimpse_size``, ``n_scales``,
    ``split`` ("train": first 55,000 training images, canvases drawn afresh each episode; "valid": the
    last 5,000; "test": the 10,000 test images; on valid and test the canvas is a fixed function of the
    image index), ``start`` ("random" or "center"), ``data_dir`` (a folder of MNIST-format IDX files,
    default the MNIST shipped with ram_env), ``render_mode`` ("rgb_array" or "human").
    See ``ram_env.episodes.GlimpseTask``.
    """

    def __init__(
        self,
        canvas_size: int = 28,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 1,
        split: str = "train",
        start: str = "random",
        data_dir: str | Path | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.task = GlimpseTask(
            canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start, data_dir
        )
        super().__init__(GlimpseEpisodes(self.task, 1), render_mode)
