"""Colours as the screen shows them: WCAG contrast, and the dominant colours of a screenshot
(the browser tests measure what is drawn, not what the code meant to draw)."""

from __future__ import annotations

import io
import re
from collections import Counter

from PIL import Image

RGB = tuple[int, int, int]


def parse_css_colour(text: str) -> RGB:
    """``#rrggbb`` or ``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` → an RGB triple."""
    text = text.strip()
    if text.startswith("#") and len(text) == 7:
        return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
    found = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", text)
    if found is None:
        raise ValueError(f"not a colour: {text!r}")
    r, g, b = (int(v) for v in found.groups())
    return (r, g, b)


def luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def distance(a: RGB, b: RGB) -> int:
    """The largest channel difference (antialiased edges differ by a few units)."""
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def dominant_colours(
    png: bytes, *, ignore: tuple[RGB, ...] = (), frame_px: int = 0
) -> list[tuple[RGB, int]]:
    """Colours of a screenshot by pixel count, most frequent first, without those within 24
    units of any colour in ``ignore`` (white halos, the background); with ``frame_px``, only
    the pixels of the frame that wide along the edges (what surrounds an element)."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        raw = rgb.tobytes()
    pixels: list[RGB] = [
        (raw[k], raw[k + 1], raw[k + 2])
        for k in range(0, len(raw), 3)
        if not frame_px
        or not (
            frame_px <= (k // 3) % width < width - frame_px
            and frame_px <= (k // 3) // width < height - frame_px
        )
    ]
    counts = Counter(p for p in pixels if all(distance(p, c) > 24 for c in ignore))
    return [(colour, n) for colour, n in counts.most_common()]
