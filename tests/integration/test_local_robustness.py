"""Local runs as people have them: killed, interrupted, re-run, unreadable files.

Each test runs the real ``bgremove`` command in a child process, as a user would.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.test_local_run import product_photo

ROOT = Path(__file__).resolve().parents[2]
IMAGE_SUFFIXES = {".png", ".jpg", ".webp"}


def bgremove(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``bgremove ARGS`` run from ``folder``, as a person in that folder would."""
    return subprocess.run(
        bgremove(*args),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def photos(folder: Path, count: int, size=(640, 480)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        colour = (40 + index * 7 % 200, 60, 160 - index * 5 % 120)
        product_photo(size=size, colour=colour).save(folder / f"p{index:03d}.jpg", quality=90)
    return folder


def report_of(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def visible_files(out: Path) -> list[Path]:
    """What a person sees in --out: everything but bgremove's hidden state folder."""
    return [
        path
        for path in out.rglob("*")
        if path.is_file() and ".bgremove" not in path.relative_to(out).parts
    ]


def assert_whole(out: Path) -> None:
    """No partial file: every picture in --out decodes completely."""
    for path in visible_files(out):
        assert not path.name.endswith(".partial"), path
        if path.suffix in IMAGE_SUFFIXES:
            with Image.open(path) as image:
                image.load()


@pytest.mark.slow
def test_killed_at_a_random_moment_then_rerun_redoes_only_what_was_unfinished(tmp_path):
    seed = random.randrange(1_000_000)
    delay = random.Random(seed).uniform(0.0, 2.0)
    folder = photos(tmp_path / "photos", 16)
    out = tmp_path / "out"
    command = bgremove("run", str(folder), "--out", str(out), "--no-cache", "--concurrency", "2")
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(out.glob("*_bg_removed.png")) and time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode()
        time.sleep(0.05)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()

    assert_whole(out)
    finished = {
        path.name: path.read_bytes()
        for path in out.glob("*_bg_removed.png")
        if _recorded(out, path.name)
    }
    assert finished, f"seed {seed}: nothing finished before the kill"

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = report_of(out)
    assert [item["source"] for item in report["items"]] == [f"p{i:03d}.jpg" for i in range(16)]
    assert report["counts"] == {"total": 16, "succeeded": 16, "failed": 0, "skipped": 0}
    kept = [item for item in report["items"] if item["resumed"]]
    assert {item["output"] for item in kept} == set(finished), f"seed {seed}"
    assert all(item["model_calls"] == 0 for item in kept)
    assert report["model_calls"] == 16 - len(kept)
    for name, data in finished.items():
        assert (out / name).read_bytes() == data, f"seed {seed}: {name} was redone"
    assert_whole(out)


def _recorded(out: Path, name: str) -> bool:
    for path in (out / ".bgremove" / "records").glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("status") == "succeeded" and record.get("output_key", "").endswith(name):
            return True
    return False


def test_running_the_current_folder_twice_never_reads_its_own_output(tmp_path):
    folder = photos(tmp_path / "shoot", 3, size=(160, 120))
    counts = []
    for _ in range(2):
        done = run_in(folder, "run", ".", "--no-cache", "--json")
        assert done.returncode == 0, done.stderr
        counts.append(json.loads(done.stdout)["counts"])
    assert counts[0] == counts[1] == {"total": 3, "succeeded": 3, "failed": 0, "skipped": 0}
    sources = [item["source"] for item in report_of(folder / "cutouts")["items"]]
    assert sources == ["p000.jpg", "p001.jpg", "p002.jpg"]
    assert not (folder / "cutouts" / "cutouts").exists()


def test_one_image_lands_at_the_top_of_out_named_as_the_user_gave_it(tmp_path):
    photos(tmp_path / "shoot", 1, size=(160, 120))
    done = run_in(tmp_path, "run", "shoot/p000.jpg", "--out", "o", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "p000_bg_removed.png").is_file()
    assert [item["source"] for item in report_of(tmp_path / "o")["items"]] == ["shoot/p000.jpg"]
    assert not (tmp_path / "o" / "inputs").exists()


def _as_unprivileged_user() -> list[str] | None:
    """A prefix that runs a command as ``nobody`` (CI runs as root, which reads anything)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def test_unreadable_file_folder_and_dangling_link_are_failures_not_crashes():
    prefix = _as_unprivileged_user()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot test as an unprivileged user")
    # Somewhere nobody can reach: pytest's tmp_path is private to root.
    base = Path(tempfile.mkdtemp(prefix="bgremove-perm-"))
    try:
        base.chmod(0o777)
        folder = photos(base / "photos", 2, size=(160, 120))
        (folder / "p001.jpg").chmod(0o000)
        locked = folder / "locked"
        locked.mkdir()
        product_photo(size=(160, 120)).save(locked / "inside.jpg")
        locked.chmod(0o000)
        (folder / "gone.jpg").symlink_to(folder / "deleted-long-ago.jpg")
        out = base / "out"
        probe = subprocess.run([*prefix, sys.executable, "-c", "import cli.main"], cwd=ROOT)
        if probe.returncode != 0:
            pytest.skip("the project's Python is not readable by the unprivileged user here")
        done = subprocess.run(
            [*prefix, *bgremove("run", str(folder), "--out", str(out), "--no-cache")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOME": str(base)},
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        by_source = {item["source"]: item for item in report_of(out)["items"]}
        assert by_source["p000.jpg"]["status"] == "succeeded"
        failures = {
            source: item["error"]["type"]
            for source, item in by_source.items()
            if item["status"] == "failed"
        }
        assert failures == {
            "p001.jpg": "SourceUnreadableError",
            "locked/": "FolderUnreadableError",
            "gone.jpg": "BrokenLinkError",
        }
        assert "permission denied" in by_source["p001.jpg"]["error"]["message"]
        assert "deleted-long-ago.jpg" in by_source["gone.jpg"]["error"]["message"]
        assert "failed  p001.jpg: permission denied" in done.stdout
    finally:
        for path in (base / "photos" / "locked", base / "photos" / "p001.jpg"):
            if path.exists():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


class Terminal:
    """``bgremove`` in a pseudo-terminal: Ctrl-C is the byte a keyboard sends."""

    def __init__(self, args: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.chdir(ROOT)
            os.execv(sys.executable, bgremove(*args))
        # A new pseudo-terminal is 0 columns wide; a person's is not.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        self.screen = ""
        self.started = time.monotonic()

    def read_until(self, text: str | re.Pattern, timeout: float) -> bool:
        """Read the screen until ``text`` (a string, or a pattern to search) is on it."""

        def shown() -> bool:
            return text in self.screen if isinstance(text, str) else bool(text.search(self.screen))

        deadline = time.monotonic() + timeout
        while not shown() and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.screen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    break
        return shown()

    def ctrl_c(self) -> float:
        os.write(self.fd, b"\x03")
        return time.monotonic()

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_until("\x00never", 0.1)
            finished, status = os.waitpid(self.pid, os.WNOHANG)
            if finished:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"bgremove did not stop within {timeout} s:\n{self.screen}")


@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_says_at_once_what_happens_and_leaves_a_coherent_folder(tmp_path, presses):
    folder = photos(tmp_path / "photos", 30, size=(320, 240))
    out = tmp_path / "out"
    # Each model call takes a second, so images are surely in flight when Ctrl-C comes.
    terminal = Terminal(
        [
            "run",
            str(folder),
            "--out",
            str(out),
            "--no-cache",
            "--model",
            "stability",
            "--simulate",
            "latency_ms=1000",
            "--concurrency",
            "4",
        ]
    )
    assert terminal.read_until("img/s", 60), terminal.screen  # the bar shows the rate
    # The bar is drawn when Plan ends, before the Map starts its first image; on a busy
    # machine that gap is long enough for a Ctrl-C to find nothing in flight. Once an
    # image is done, the next ones (a second each in the model) surely are.
    assert terminal.read_until(re.compile(r"\dimg/s"), 60), terminal.screen  # a rate: n > 0
    pressed = terminal.ctrl_c()
    assert terminal.read_until("press Ctrl-C again to stop now", 1.0), terminal.screen
    assert time.monotonic() - pressed < 1.0
    if presses == 2:
        pressed = terminal.ctrl_c()
    code = terminal.wait(timeout=30)
    stopped_after = time.monotonic() - pressed
    assert code == 1
    if presses == 2:
        assert stopped_after < 5, f"{stopped_after:.1f} s after the second Ctrl-C"
    assert "Traceback" not in terminal.screen
    report = report_of(out)
    counts = report["counts"]
    summary = f"{counts['succeeded']} succeeded"
    assert summary in terminal.screen and f"{counts['failed']} failed" in terminal.screen
    assert counts["total"] == 30 and counts["failed"] > 0
    assert set(report["failure_reasons"]) == {"NotProcessedError"}
    for item in report["items"]:
        if item["status"] == "succeeded":
            assert (out / item["url"]).is_file()
    assert_whole(out)


@pytest.mark.slow
def test_a_thousand_failing_items_still_reach_the_report(tmp_path):
    """Each failed child's error and cause would pass the 256 KiB state limit if the
    Map gathered them (the local engine enforces the limit as AWS does)."""
    from workflow.local_engine import LocalEngine

    folder = tmp_path / "junk"
    folder.mkdir()
    for index in range(1000):
        (folder / f"scan_{index:04d}.jpg").write_text(f"not a photo {index}\n" * 40)
    outcome = LocalEngine(cache_dir=None, concurrency=8).run(folder, tmp_path / "out")
    assert outcome.status == "finished", (outcome.error_type, outcome.error_message)
    report = report_of(tmp_path / "out")
    assert report["counts"] == {"total": 1000, "succeeded": 0, "failed": 1000, "skipped": 0}
    assert report["failure_reasons"] == {"UnsupportedFormatError": 1000}


def test_a_rerun_redoes_only_changed_photos_and_changed_options(tmp_path):
    from workflow.local_engine import LocalEngine

    folder = photos(tmp_path / "photos", 3, size=(160, 120))
    out = tmp_path / "out"
    LocalEngine(cache_dir=None).run(folder, out)
    product_photo(size=(160, 120), colour=(10, 200, 10)).save(folder / "p001.jpg")  # edited
    LocalEngine(cache_dir=None).run(folder, out)
    report = report_of(out)
    assert [item["resumed"] for item in report["items"]] == [True, False, True]
    assert report["model_calls"] == 1
    LocalEngine(cache_dir=None, output_format="webp").run(folder, out)
    report = report_of(out)
    assert not any(item["resumed"] for item in report["items"])
    assert all(item["output"].endswith(".webp") for item in report["items"])
