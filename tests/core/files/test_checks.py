"""Local file checks: every bad input is one clear InputError, before anything is
recorded or sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import InputError
from core.files.checks import check_local_file, check_tags, check_type, sniff_type
from tests.core.files.conftest import ELF_HEADER, PE_HEADER, pdf_bytes, png_bytes


def test_accepts_each_allowed_kind(make_file: Callable[..., Path], settings: Settings) -> None:
    assert check_local_file(make_file("a.pdf", pdf_bytes()), settings).content_type == (
        "application/pdf"
    )
    assert check_local_file(make_file("a.png", png_bytes()), settings).content_type == "image/png"
    assert check_local_file(make_file("n.txt", b"hello\n"), settings).content_type == "text/plain"
    rows = b"name,amount\nalice,1\nbob,2\n"
    assert check_local_file(make_file("r.csv", rows), settings).content_type == "text/csv"
    # CSV content without an extension is recognised as CSV; in a .txt it stays text
    assert check_local_file(make_file("export", rows), settings).content_type == "text/csv"
    assert check_local_file(make_file("r.txt", rows), settings).content_type == "text/plain"
    utf8 = "Facture n° 12 — été\n".encode()
    assert check_local_file(make_file("f.txt", utf8), settings).content_type == "text/plain"


def test_missing_file(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InputError, match="No such file"):
        check_local_file(tmp_path / "nope.pdf", settings)


def test_directory_given_as_file(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InputError, match="is a folder"):
        check_local_file(tmp_path, settings)


def test_unreadable_file(
    make_file: Callable[..., Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_file("secret.pdf", pdf_bytes())
    path.chmod(0)
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:  # root ignores mode bits: refuse like the kernel would
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(InputError, match="permission denied"):
        check_local_file(path, settings)


def test_zero_byte_file(make_file: Callable[..., Path], settings: Settings) -> None:
    with pytest.raises(InputError, match="empty"):
        check_local_file(make_file("empty.txt", b""), settings)


def test_over_the_size_cap(make_file: Callable[..., Path], settings: Settings) -> None:
    small = settings.model_copy(update={"file_max_size": 100})
    with pytest.raises(InputError, match="limit is 100 Bytes"):
        check_local_file(make_file("big.txt", b"x" * 101), small)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a" * 252 + ".pdf", "256 characters"),
        ("../etc.pdf", "path parts"),
        ("dir/inner.pdf", "path parts"),
        ("..hidden.pdf", "'..'"),
        ("nul\x00.pdf", "control characters"),
        ("bell\x07.pdf", "control characters"),
        ("tab\tname.pdf", "control characters"),
        ("del\x7f.pdf", "control characters"),
    ],
)
def test_bad_names(
    make_file: Callable[..., Path], settings: Settings, name: str, reason: str
) -> None:
    path = make_file("ok.pdf", pdf_bytes())
    with pytest.raises(InputError, match="Bad file name") as info:
        check_local_file(path, settings, name=name)
    assert reason in str(info.value)


def test_disallowed_type(make_file: Callable[..., Path], settings: Settings) -> None:
    zipped = b"PK\x03\x04" + b"\x14\x00" * 20 + b"payload"
    with pytest.raises(InputError, match=r"application/zip is not allowed"):
        check_local_file(make_file("a.zip", zipped), settings)
    with pytest.raises(InputError, match="unrecognised binary data"):
        check_local_file(make_file("blob.bin", bytes(range(256)) * 4), settings)


@pytest.mark.parametrize(
    ("data", "what"), [(ELF_HEADER, "ELF executable"), (PE_HEADER, "Windows executable")]
)
def test_executable_named_pdf_is_refused(
    make_file: Callable[..., Path], settings: Settings, data: bytes, what: str
) -> None:
    with pytest.raises(InputError, match=what) as info:
        check_local_file(make_file("invoice.pdf", data + b"\x00" * 512), settings)
    assert "not the .pdf its name claims" in str(info.value)


def test_shell_script_named_txt_is_refused() -> None:
    with pytest.raises(InputError, match="shell script"):
        check_type(b"#!/bin/sh\nrm -rf ~\n", "notes.txt", complete=True)


def test_extension_and_content_must_agree(
    make_file: Callable[..., Path], settings: Settings
) -> None:
    with pytest.raises(InputError, match="the name says image/png but the content is"):
        check_local_file(make_file("photo.png", pdf_bytes()), settings)
    with pytest.raises(InputError, match="the name says application/pdf"):
        check_local_file(make_file("doc.pdf", b"just text\n"), settings)


def test_sniffing_ignores_the_extension() -> None:
    assert sniff_type(png_bytes(), "whatever.txt") == "image/png"
    assert sniff_type(b"\x00\x01binary", "a.txt") == "application/octet-stream"


def test_tags_are_checked() -> None:
    assert check_tags([" a ", "b", "a", ""]) == ["a", "b"]
    with pytest.raises(InputError, match="at most 50"):
        check_tags(["x" * 51])
    with pytest.raises(InputError, match="at most 20"):
        check_tags([f"t{i}" for i in range(21)])


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("invoice.bat", "a Windows program or script"),
        ("invoice.cmd", "a Windows program or script"),
        ("update.ps1", "a Windows program or script"),
        ("macro.vbs", "a Windows program or script"),
        ("app.hta", "a Windows program or script"),
        ("tracking.js", "a Windows program or script"),
        ("install.sh", "a Unix or macOS program or script"),
        ("budget.xlsm", "an Office document with macros"),
        ("logo.svg", "markup that can run script"),
        ("page.html", "markup that can run script"),
        ("RUN.BAT.", "a Windows program or script"),  # Windows drops the trailing dot
    ],
)
def test_scripts_and_markup_are_refused_even_as_plain_text(
    make_file: Callable[..., Path], settings: Settings, name: str, what: str
) -> None:
    # `@echo off` is text/plain to a sniffer; to Windows a .bat is a program
    path = make_file("upload", b"@echo off\r\nstart https://example.com\r\n")
    with pytest.raises(InputError) as info:
        check_local_file(path, settings, name=name)
    ext = name.rstrip(".").rsplit(".", 1)[1].lower()
    assert f".{ext} files ({what}) are never accepted" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_right_to_left_override_cannot_disguise_a_script(
    make_file: Callable[..., Path], settings: Settings
) -> None:
    # shown as "Invoice_2026_tab.pdf"; really a .bat
    path = make_file("upload", b"@echo off\r\n")
    with pytest.raises(InputError) as info:
        check_local_file(path, settings, name="Invoice_2026_\u202efdp.bat")
    assert str(info.value) == (
        "Bad file name 'Invoice_2026_\\u202efdp.bat': file name holds an invisible "
        "text-direction character (U+202E) that can disguise its real extension. "
        "Rename the file."
    )
    for char in ("\u2066", "\u200f", "\u061c", "\u2028"):
        with pytest.raises(InputError, match="Bad file name"):
            check_local_file(make_file("ok.pdf", pdf_bytes()), settings, name=f"a{char}b.pdf")


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("notes.txt", b"<!DOCTYPE html><html><script>alert(1)</script>", "a web page"),
        ("notes", b"\xef\xbb\xbf  <script src=//evil.example/x.js></script>", "a web page"),
        ("logo.txt", b'<?xml version="1.0"?>\n<svg onload="alert(1)"/>', "an SVG image"),
        ("feed.txt", b'<?xml version="1.0"?>\n<rss></rss>', "XML markup"),
        ("index.txt", b"<?php system($_GET['c']); ?>", "a PHP script"),
    ],
)
def test_markup_in_text_is_refused(name: str, data: bytes, what: str) -> None:
    with pytest.raises(InputError, match=f"is {what}"):
        check_type(data, name, complete=True)


def test_text_only_under_a_text_extension() -> None:
    for name in ("notes.txt", "notes.md", "server.log", "README", "rows.tsv"):
        assert check_type(b"plain words\n", name, complete=True) in ("text/plain", "text/csv")
    with pytest.raises(InputError) as info:
        check_type(b"plain words\n", "payload.wsx", complete=True)
    assert str(info.value) == (
        "payload.wsx: text is accepted only as .txt, .text, .csv, .tsv, .log, .md "
        "(or no extension), not .wsx. Rename it to .txt if it is plain text."
    )
    # binary types keep their sniffed type under an unknown extension
    assert check_type(pdf_bytes(), "scan.pdf_old", complete=True) == "application/pdf"


def test_symlinks_are_refused_unless_followed(
    make_file: Callable[..., Path], settings: Settings, tmp_path: Path
) -> None:
    target = make_file("real.txt", b"private notes\n")
    link = tmp_path / "invoice.txt"
    link.symlink_to(target)
    with pytest.raises(InputError) as info:
        check_local_file(link, settings)
    assert str(info.value) == (
        f"{link} is a symbolic link (to {target}); links are not followed. "
        "Give the file itself, or pass --follow-symlinks."
    )
    assert check_local_file(link, settings, follow_symlinks=True).content_type == "text/plain"
