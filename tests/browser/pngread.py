"""A minimal PNG reader (standard library only): header, chunk CRCs, and pixels of 8-bit,
non-interlaced images, enough to tell a real screenshot from a blank one."""

import struct
import zlib
from dataclasses import dataclass

from cluster import require

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


@dataclass
class Png:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int
    data: bytes  # the decompressed IDAT stream: one filter byte, then the row, per row

    @property
    def channels(self):
        return CHANNELS[self.colour_type]


def read_png(path):
    with open(path, "rb") as f:
        blob = f.read()
    require(blob.startswith(SIGNATURE), f"{path}: not a PNG (bad signature)")
    pos, header, idat = len(SIGNATURE), None, []
    while pos < len(blob):
        require(pos + 8 <= len(blob), f"{path}: truncated chunk header at byte {pos}")
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        require(zlib.crc32(kind + body) == crc, f"{path}: bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    require(header, f"{path}: no IHDR chunk")
    require(idat, f"{path}: no IDAT chunk")
    width, height, depth, colour, _, _, interlace = header
    require(colour in CHANNELS, f"{path}: unknown colour type {colour}")
    return Png(width, height, depth, colour, interlace, zlib.decompress(b"".join(idat)))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind, line, prior, bpp):
    if kind == 0:
        return line
    out = bytearray(line)
    n = len(out)
    if kind == 1:    # Sub
        for i in range(bpp, n):
            out[i] = (out[i] + out[i - bpp]) & 0xFF
    elif kind == 2:  # Up
        for i in range(n):
            out[i] = (out[i] + prior[i]) & 0xFF
    elif kind == 3:  # Average
        for i in range(n):
            left = out[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + ((left + prior[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(n):
            left = out[i - bpp] if i >= bpp else 0
            upleft = prior[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + _paeth(left, prior[i], upleft)) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter type {kind}")
    return bytes(out)


def rows(png):
    """Each row's samples after unfiltering (8-bit, non-interlaced only)."""
    require(png.bit_depth == 8 and png.interlace == 0,
            f"only 8-bit non-interlaced PNGs are decoded here, not depth {png.bit_depth} "
            f"interlace {png.interlace}")
    bpp = png.channels
    stride = png.width * bpp
    require(len(png.data) == png.height * (stride + 1),
            f"PNG data is {len(png.data)} bytes, expected {png.height * (stride + 1)}")
    prior = bytes(stride)
    for y in range(png.height):
        start = y * (stride + 1)
        prior = _unfilter(png.data[start], png.data[start + 1:start + 1 + stride], prior, bpp)
        yield prior


def sample_pixels(png, every_row=5, every_column=3):
    """Distinct pixel values (tuples of samples) on a grid over the whole image."""
    bpp = png.channels
    seen = set()
    for y, row in enumerate(rows(png)):
        if y % every_row == 0:
            for x in range(0, png.width, every_column):
                seen.add(tuple(row[x * bpp:(x + 1) * bpp]))
    return seen
