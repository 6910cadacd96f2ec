"""The hand-written convolution on real photos: a kernel (a preset, the student's, or one a network learned)
over a photo with ReLU, and the pooling of a first layer's feature map (max, average, sum, and a one-pixel
shift), as pictures with their sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.data import images
from cnnviz.lesson import convolution, pooling
from cnnviz.lesson.output_sizes import Padding

PHOTO_KERNELS = ("Sobel x", "Sobel y", "Laplacian", "sharpen", "box blur", "X kernel")
EDGE_KERNELS = ("Sobel x", "Sobel y", "Laplacian")
MOSTLY_OFF = 0.9  # ReLU zeroing more than this share of a map is worth a sentence
POOLED_SCALE = 8  # each pixel of the pooling pictures drawn 8×8, so 26 → 13 reads as half
CHANGED_RED = (228, 87, 46)  # cnnviz.pictures.grids.LIT_COLOUR


@dataclass(frozen=True)
class PhotoKernel:
    """A kernel to run over a photo: (k, k) on the grey photo, or (k, k, 3) on its R, G and B."""

    kernel: np.ndarray
    bias: float = 0.0

    @classmethod
    def preset(cls, name: str) -> PhotoKernel:
        """Return one of the 3×3 presets (an edge kernel shows what ReLU does)."""
        return cls(convolution.kernel_presets(3)[name])

    @classmethod
    def learned(cls, kernels: np.ndarray, biases: np.ndarray, number: int) -> PhotoKernel:
        """Return filter `number` (from 1) of a first Conv2D layer; a grey-input network's has one channel."""
        kernel = kernels[..., number - 1]
        return cls(kernel[..., 0] if kernel.shape[2] == 1 else kernel, float(biases[number - 1]))

    @property
    def is_colour(self) -> bool:
        """Return whether the kernel spans three channels."""
        return self.kernel.ndim == 3

    def input_for(self, photo: np.ndarray) -> np.ndarray:
        """Return the photo as this kernel takes it, pixels 0..1 as a network's Rescaling(1/255) gives them."""
        return photo.astype(float) / 255 if self.is_colour else images.to_grayscale(photo)

    def weights_text(self) -> str:
        """Return the weights rounded to 3 decimals, one block per channel."""
        channels = [self.kernel[..., c] for c in range(self.kernel.shape[2])] if self.is_colour else [self.kernel]
        return "\n\n".join(convolution.format_grid(np.round(channel, 3)) for channel in channels)


@dataclass(frozen=True)
class PhotoConvolution:
    """A photo before and after one kernel, ready to show side by side at the same pixel scale."""

    input_picture: np.ndarray
    input_caption: str
    map_picture: np.ndarray
    map_caption: str
    note: str | None  # what ReLU did, when it switched most of the map off

    @property
    def widths(self) -> tuple[int, int]:
        """Return both pictures' widths in pixels (columns as wide make them the same scale)."""
        return self.input_picture.shape[1], self.map_picture.shape[1]


def convolve_photo(
    photo: np.ndarray, kernel: PhotoKernel, stride: int, padding: Padding, dilation: int, use_relu: bool
) -> PhotoConvolution:
    """Run a kernel over a photo (then ReLU when asked); raise CnnvizError when the settings cannot work."""
    photo_input = kernel.input_for(photo)
    feature_map = convolution.conv2d(photo_input, kernel.kernel, stride, padding, dilation, kernel.bias)
    feature_map = convolution.relu(feature_map) if use_relu else feature_map
    off = float(np.mean(feature_map == 0)) if use_relu else 0.0
    note = None
    if off > MOSTLY_OFF:
        note = (
            f"ReLU set {off:.0%} of this map to 0: this filter responds to little in the photo. A filter learned on "
            "Fashion-MNIST looks for edges of light garments on black, which a photo has few of."
        )
    grey = "" if kernel.is_colour else ", grayscale"
    return PhotoConvolution(
        input_picture=photo if kernel.is_colour else images.to_display(photo_input),
        input_caption=f"input{grey}: {photo.shape[0]}×{photo.shape[1]}",
        map_picture=images.to_display(feature_map, robust=True),
        map_caption=f"feature map{' after ReLU' if use_relu else ''}: {feature_map.shape[0]}×{feature_map.shape[1]} "
        "(stretched to black…white, the brightest 0.5% clipped)",
        note=note,
    )


Picture = tuple[str, np.ndarray]  # a caption and an RGB or grey uint8 picture


@dataclass(frozen=True)
class RealPooling:
    """A photo's first-layer feature map pooled three ways, and the same photo one pixel to the right."""

    comparison: pooling.PoolingComparison
    shift: pooling.ShiftComparison
    pictures: list[Picture]  # photo, feature map, max, average and sum pooled, on one brightness scale
    shift_pictures: list[Picture]  # the feature map and its max-pooled map, before and after, changes in red


def real_pooling(photo: np.ndarray, edge_kernel: str, size: int, stride: int) -> RealPooling:
    """Return a grey photo's feature map (edge kernel, valid, ReLU) pooled max, average and sum, and the shift.

    Each picture is upscaled by repeating pixels (no smoothing), so the sizes compare by eye; the maps share one
    brightness scale (0 … the feature map's peak, sum's × the window's area), so average's blur shows as dimmer.
    """
    kernel = convolution.kernel_presets(3)[edge_kernel]
    feature_map = convolution.relu(convolution.conv2d(photo, kernel))
    comparison = pooling.compare_pooling(feature_map, size, stride)
    shifted_map = convolution.relu(convolution.conv2d(pooling.shift_right(photo), kernel))
    shift = pooling.compare_shift(
        feature_map, shifted_map, size, stride, tolerance=pooling.SHIFT_TOLERANCE * comparison.peak()
    )
    peak, area = comparison.peak(), size * size
    pictures = [picture("photo", photo, 1.0), picture("feature map", feature_map, peak, peak)]
    for mode, scale in (("max", peak), ("average", peak), ("sum", peak * area)):
        pictures.append(picture(f"{mode} pooled", comparison.pooled[mode], scale, comparison.peak(mode)))
    shift_pictures = [
        picture("feature map", feature_map, peak),
        picture("after the shift", shifted_map, peak, changed=shift.feature_changed),
        picture("max pooled", shift.pooled, peak),
        picture("max pooled, after", shift.shifted_pooled, peak, changed=shift.pooled_changed),
    ]
    return RealPooling(comparison, shift, pictures, shift_pictures)


def picture(
    name: str, values: np.ndarray, scale: float, peak: float | None = None, changed: np.ndarray | None = None
) -> Picture:
    """Return a map drawn 0 … `scale` as black … white, upscaled, captioned with its size (and peak); cells that
    `changed` tinted red."""
    grey = np.round(np.clip(values / scale if scale > 0 else values * 0, 0, 1) * 255).astype(np.uint8)
    caption = f"{name}: {values.shape[0]}×{values.shape[1]}"
    caption += "" if peak is None else f", peak {convolution.format_number(round(peak, 3))}"
    if changed is not None:
        grey = np.stack([grey] * 3, axis=-1)
        grey[changed] = (0.4 * grey[changed] + 0.6 * np.array(CHANGED_RED)).astype(np.uint8)
        caption += f", {int(changed.sum())} changed"
    block = np.ones((POOLED_SCALE, POOLED_SCALE), dtype=np.uint8)
    upscaled = np.kron(grey, block) if grey.ndim == 2 else np.kron(grey, block[:, :, None])
    return caption, upscaled
