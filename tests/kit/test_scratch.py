"""Per-process temporary folders: a killed process's files are swept, a live one's are kept."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from qc.kit import scratch

# Writes a temporary file in its own folder, says where, then waits to be killed.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from qc.kit import scratch

    folder = scratch.own_dir(Path(sys.argv[1]))
    (folder / "half-written.wav").write_bytes(b"RIFF")
    print(folder, flush=True)
    time.sleep(120)
    """
)


def start_holder(base: Path) -> tuple[subprocess.Popen[str], Path]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(base)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    return holder, Path(holder.stdout.readline().strip())


def test_the_folder_of_a_killed_process_is_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    live, live_folder = start_holder(tmp_path)
    killed, killed_folder = start_holder(tmp_path)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert (killed_folder / "half-written.wav").exists(), "a SIGKILL cleans nothing up"

        assert scratch.sweep(tmp_path) == [killed_folder]
        assert not killed_folder.exists()
        assert (live_folder / "half-written.wav").exists()
        assert scratch.files(tmp_path) == [live_folder / "half-written.wav"]
    finally:
        live.kill()
        live.wait(timeout=10)
    assert scratch.sweep(tmp_path) == [live_folder], "once it has ended, its folder goes too"
    assert scratch.files(tmp_path) == []


def test_a_process_keeps_its_own_folder_and_gets_a_new_one_if_it_was_removed(tmp_path: Path) -> None:
    mine = scratch.own_dir(tmp_path)
    (mine / "peaks.json").write_text("{}")
    assert scratch.own_dir(tmp_path) == mine
    assert scratch.sweep(tmp_path) == []
    assert (mine / "peaks.json").exists()

    shutil.rmtree(mine)  # e.g. an operator cleared the tmp folder
    again = scratch.own_dir(tmp_path)
    assert again != mine and again.is_dir()
    assert scratch.sweep(tmp_path) == []
