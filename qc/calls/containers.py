"""What a recording's container says about itself, checked against the bytes it holds.

A decoder stops cleanly at the end of whatever bytes it is given, so a file cut short
decodes without an error into a shorter recording. The container's own bookkeeping
tells the two apart: a WAV header states how many bytes of audio follow, every Ogg page
carries a checksum and the last one an end-of-stream mark, an MP3 frame header states
the frame's length. Those checks live here; decoding itself is in `qc.calls.audio`.
"""

from __future__ import annotations

import itertools
import struct
import time
import zlib
from pathlib import Path
from typing import BinaryIO

from qc.errors import AudioError

# Leading bytes of the containers we accept, to tell a damaged recording from a file
# that is not audio at all when FFmpeg cannot open it.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "WAV"),
    (0, b"RF64", "WAV"),
    (0, b"OggS", "Ogg (Opus or Vorbis)"),
    (0, b"fLaC", "FLAC"),
    (0, b"ID3", "MP3"),
    (4, b"ftyp", "M4A (MP4)"),
    (0, b"\x1a\x45\xdf\xa3", "WebM"),
    (0, b"#!AMR", "AMR"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "WMA"),
)
# Ogg: 'OggS', version, flags, granule (8), serial (4), sequence (4), checksum (4), segments.
_OGG_HEADER = struct.Struct("<4sBBqIII")
_OGG_HEADER_SIZE = 27
_OGG_END_OF_STREAM = 0x04
_MAX_WAV_CHUNKS = 64
# Ogg's CRC-32 is the unreflected one (polynomial 0x04C11DB7, no inversion); zlib's is
# reflected, so feed zlib the bytes bit-reversed and reverse its result.
_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
# MP3 bitrates (kbit/s) by bitrate index, for MPEG-1 and MPEG-2/2.5, per layer.
_MP3_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_CUT_SHORT = "The recorder or the upload stopped before the end of the file; upload the complete recording."


def cut_short(seconds: float) -> AudioError:
    """The refusal of a file that ends part-way through a block of audio."""
    return AudioError(
        f"The file is cut short: it ends in the middle of a block of audio{_after(seconds)}. {_CUT_SHORT}"
    )


def describe_format(head: bytes) -> str | None:
    """The kind of recording the first bytes announce, or None if they announce none."""
    for offset, magic, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "AAC" if head[1] & 0x06 == 0 else "MP3"
    return None


def check_container(path: Path, *, deadline: float) -> None:
    """Refuse (AudioError) a file whose container shows it cut short or damaged;
    TimeoutError past `deadline` (time.monotonic)."""
    with path.open("rb") as handle:
        head = handle.read(12)
        handle.seek(0)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            _check_wav(handle, size=path.stat().st_size)
        elif head[:4] == b"OggS":
            _check_ogg(handle, size=path.stat().st_size, deadline=deadline)


def mp3_declares_length(head: bytes) -> bool:
    """Whether an MP3 starts with a Xing/Info/VBRI frame stating its number of frames.

    Without one FFmpeg guesses the duration from the first frame's bitrate, which says
    nothing about whether the file is complete.
    """
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        syncsafe = zip(head[6:10], (21, 14, 7, 0), strict=True)  # 7 bits per byte
        start = 10 + sum((byte & 0x7F) << shift for byte, shift in syncsafe)
    first_frame = head[start : start + 2048]
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


def mp3_frame_length(header: bytes) -> int | None:
    """The length in bytes of the MP3 frame starting with `header`, None if unknown."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version_bits, layer_bits = (header[1] >> 3) & 0x03, (header[1] >> 1) & 0x03
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 0x03
    padding = (header[2] >> 1) & 0x01
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free format (no stated length)
    layer = 4 - layer_bits
    mpeg1 = version_bits == 3
    bitrate = _MP3_BITRATES[(1 if mpeg1 else 2, layer)][bitrate_index] * 1000
    rate = _MP3_RATES[version_bits][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    per_frame = 144 if mpeg1 or layer == 2 else 72
    return per_frame * bitrate // rate + padding


def human_size(size: int) -> str:
    """Bytes as a person reads them: 64 KB, 3.2 MB, 4.0 GB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024**2:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f} MB"
    return f"{size / 1024**3:.1f} GB"


def human_duration(seconds: float) -> str:
    """A duration as a person reads it: 2.0 s, 4 min 12 s, 37 h 16 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min {int(seconds % 60)} s"
    return f"{minutes // 60} h {minutes % 60} min"


# WAV --------------------------------------------------------------------------------------


def _check_wav(handle: BinaryIO, *, size: int) -> None:
    handle.seek(12)
    byte_rate = 0
    for _ in range(_MAX_WAV_CHUNKS):  # a file of endless tiny chunks is FFmpeg's to judge
        header = handle.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
        start = handle.tell()
        if chunk_id == b"fmt " and chunk_size >= 16:
            byte_rate = struct.unpack("<I", handle.read(16)[8:12])[0]
        if chunk_id == b"data":
            _check_wav_data(declared=chunk_size, present=size - start, byte_rate=byte_rate)
            return
        handle.seek(start + chunk_size + chunk_size % 2)


def _check_wav_data(*, declared: int, present: int, byte_rate: int) -> None:
    # 0 is what streaming writers put there while the length is unknown: FFmpeg reads on.
    if declared == 0 or declared <= present:
        return
    holds, claims = human_size(present), human_size(declared)
    if byte_rate:
        holds += f" ({human_duration(present / byte_rate)})"
        claims += f" ({human_duration(declared / byte_rate)})"
    raise AudioError(
        f"The file is cut short: its header declares {claims} of audio but it holds {holds}. " + _CUT_SHORT
    )


# Ogg ---------------------------------------------------------------------------------------


def _ogg_crc(page: bytes) -> int:
    reflected = zlib.crc32(page.translate(_BIT_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{reflected:032b}"[::-1], 2)


def _check_ogg(handle: BinaryIO, *, size: int, deadline: float) -> None:
    """Walk every page: each must start where the previous ended and match its checksum;
    the file must end with a whole page, and every stream in it with its end mark."""
    offset, heard = 0, 0.0
    open_streams: dict[int, int] = {}  # serial -> its granule rate (0: unknown)
    for page in itertools.count():
        if offset >= size:
            break
        if page % 1024 == 0 and time.monotonic() > deadline:
            raise TimeoutError
        header = handle.read(_OGG_HEADER_SIZE)
        if len(header) < _OGG_HEADER_SIZE:
            raise cut_short(heard)
        magic, version, flags, granule, serial, _sequence, checksum = _OGG_HEADER.unpack(header[:26])
        if magic != b"OggS" or version != 0:
            raise _ogg_damaged(heard)
        table = handle.read(header[26])
        body = handle.read(sum(table))
        if len(table) < header[26] or len(body) < sum(table):
            raise cut_short(heard)
        if _ogg_crc(header[:22] + b"\0\0\0\0" + header[26:] + table + body) != checksum:
            raise _ogg_damaged(heard)
        rate = open_streams.pop(serial, None)
        rate = _ogg_granule_rate(body) if rate is None else rate
        if rate and granule > 0:
            heard = max(heard, granule / rate)
        if not flags & _OGG_END_OF_STREAM:
            open_streams[serial] = rate
        offset += _OGG_HEADER_SIZE + len(table) + len(body)
    if open_streams:
        raise AudioError(
            "The file is cut short: it ends without the end-of-stream mark every complete Ogg "
            f"recording has{_after(heard)}. {_CUT_SHORT}"
        )


def _ogg_granule_rate(first_page: bytes) -> int:
    """Granule positions per second of an Ogg stream, from its first page (0: unknown)."""
    if first_page.startswith(b"OpusHead"):
        return 48000  # Opus counts at 48 kHz whatever the input rate
    if first_page.startswith(b"\x01vorbis") and len(first_page) >= 16:
        return int(struct.unpack("<I", first_page[12:16])[0])
    return 0


def _after(seconds: float) -> str:
    return f" after {human_duration(seconds)}" if seconds else ""


def _ogg_damaged(heard: float) -> AudioError:
    return AudioError(
        f"The recording is damaged: its data is corrupt{_after(heard)} (a checksum does not match). "
        "Upload an intact copy of the recording."
    )
