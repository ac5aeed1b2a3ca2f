"""Client-supplied file names: made safe to store and to send back in a header."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from qc.kit.filenames import MAX_NAME_LENGTH, content_disposition, printable, safe_filename
from qc.kit.ranges import ranged_response
from qc.kit.storage import LocalStorage


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("..\\..\\evil.wav", "evil.wav"),
        ("C:\\Users\\x\\call.mp3", "call.mp3"),
        ("../../etc/passwd", "passwd"),
        ("/var/calls/today.ogg", "today.ogg"),
        ("call\x00.wav", "call .wav"),
        ("first line\r\nX-Injected: yes.wav", "first line X-Injected_ yes.wav"),
        ("invoice\u202egnp.exe", "invoice gnp.exe"),  # right-to-left override
        ("zero\u200bwidth.flac", "zero width.flac"),
        ("  .hidden.wav", "hidden.wav"),
        ("..", "recording"),
        ("", "recording"),
        ("\u200b\u202e", "recording"),
        ('say "hi" <now>|ok?.wav', "say _hi_ _now__ok_.wav"),
        ("Înregistrare Ștefan Țurcanu.wav", "Înregistrare Ștefan Țurcanu.wav"),
        ("Звонок Иванова 12.03.mp3", "Звонок Иванова 12.03.mp3"),
        ("Poziv Đorđević ćao.m4a", "Poziv Đorđević ćao.m4a"),
        ("chiamata perché.opus", "chiamata perché.opus"),
    ],
)
def test_client_file_name_keeps_its_base_name_and_letters_only(sent: str, kept: str) -> None:
    assert safe_filename(sent) == kept


def test_very_long_name_is_shortened_keeping_its_extension() -> None:
    name = safe_filename("Звонок " * 2000 + ".wav")
    assert MAX_NAME_LENGTH - 2 <= len(name) <= MAX_NAME_LENGTH
    assert name.endswith("Звонок.wav")


def test_printable_drops_terminal_escapes() -> None:
    assert printable("\x1b[2Jcall\x07.wav\n") == "[2Jcall .wav"


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name() -> None:
    assert content_disposition("report.csv") == 'attachment; filename="report.csv"'
    assert content_disposition("Ștefan;\r\nSet-Cookie: x=1.wav", inline=True) == (
        'inline; filename="Stefan_ Set-Cookie_ x_1.wav"; '
        "filename*=UTF-8''%C8%98tefan%3B%20Set-Cookie_%20x%3D1.wav"
    )


def test_ranged_download_names_the_file_safely(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    source = tmp_path / "source.wav"
    source.write_bytes(b"RIFF....WAVE")
    storage.put_file("calls/a.wav", source)
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})

    response = ranged_response(request, storage, "calls/a.wav", filename='..\\..\\"evil"\r\nX: 1.wav')

    assert response.headers["content-disposition"] == 'inline; filename="_evil_ X_ 1.wav"'
