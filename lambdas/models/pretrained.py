"""Pretrained ONNX weights fetched on first use, the way rembg fetches them.

rembg (the ``danielgatis/rembg`` package, its base session) keeps each model as
``<name>.onnx`` in ``U2NET_HOME``, default ``$XDG_DATA_HOME/.u2net`` or ``~/.u2net``,
and checks it with pooch against an md5. bgremove looks in the same folder, so a
file a user already has from rembg is used as it is, with no download. (rembg's
source as read on 2026-07-18, commit 684f8e9, has no ``REMBG_HOME``: only
``U2NET_HOME`` / ``XDG_DATA_HOME`` are honoured.)

A missing file is downloaded once, with a tqdm progress bar, into a temporary
file beside its final place, checked against the md5, and renamed into place: an
interrupted or corrupt download never leaves a file that looks finished. When the
file cannot be had (offline, a wrong checksum), ``ModelUnusableError`` says where
to put it by hand; Plan raises it before any work, so ``bgremove run`` exits 2.

``BGREMOVE_MODEL_BASE_URL`` replaces the download location's folder (a mirror, or
a test's local server); the file name at that location stays rembg's.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lambdas.errors import ModelUnusableError

#: Replaces the folder part of every download URL (mirrors, tests).
BASE_URL_ENV = "BGREMOVE_MODEL_BASE_URL"
#: Seconds to wait for the server to answer (connecting, or between blocks).
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class PretrainedWeights:
    """Where one pretrained model's ONNX file comes from and how it is checked.

    Attributes
    ----------
    file_name
        The file's name in the model folder (rembg's ``<name>.onnx``).
    url
        rembg's download location.
    md5
        rembg's checksum of the file (hex).
    source
        The rembg file these facts were read from.
    """

    file_name: str
    url: str
    md5: str
    source: str

    def download_url(self) -> str:
        """The URL to fetch: rembg's, or under ``BGREMOVE_MODEL_BASE_URL`` when set."""
        base = os.environ.get(BASE_URL_ENV)
        if not base:
            return self.url
        return f"{base.rstrip('/')}/{self.url.rsplit('/', 1)[1]}"


def model_home() -> Path:
    """The folder rembg keeps its models in: ``U2NET_HOME``, else ``$XDG_DATA_HOME/.u2net``,
    else ``~/.u2net`` (as rembg's base session computes ``u2net_home``).
    """
    home = os.environ.get("U2NET_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME", "~"), ".u2net"
    )
    return Path(os.path.expanduser(home))


_verified: dict[tuple[str, int, int], bool] = {}
_lock = threading.Lock()


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(path: Path, md5: str) -> bool:
    """Whether ``path`` has checksum ``md5`` (remembered per size and mtime in a process)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        _verified[key] = _md5(path) == md5
    return _verified[key]


def manual_instructions(name: str, weights: PretrainedWeights, path: Path) -> str:
    """How to put the file in place by hand."""
    return (
        f"download {weights.download_url()} and save it as {path} "
        f"(md5 {weights.md5}), or set U2NET_HOME to the folder that holds {weights.file_name}"
    )


def ensure_weights(name: str, weights: PretrainedWeights, *, progress: bool = True) -> Path:
    """The verified weights file of model ``name``, downloaded first if it is not there.

    Parameters
    ----------
    progress
        Show a tqdm progress bar on standard error while downloading.

    Raises
    ------
    ModelUnusableError
        The file is not there and cannot be downloaded, or its checksum is not
        rembg's (a downloaded file that does not match is deleted).
    """
    path = model_home() / weights.file_name
    with _lock:
        if path.is_file():
            if _checked(path, weights.md5):
                return path
            raise ModelUnusableError(
                f"{path} is not the {name} model rembg publishes: its md5 is not "
                f"{weights.md5}. Delete it to download it again, or "
                + manual_instructions(name, weights, path)
            )
        _download(name, weights, path, progress=progress)
        return path


def _download(name: str, weights: PretrainedWeights, path: Path, *, progress: bool) -> None:
    url = weights.download_url()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelUnusableError(
            f"cannot make the model folder {path.parent} ({error}): "
            + manual_instructions(name, weights, path)
        ) from None
    partial: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{weights.file_name}.", suffix=".part", delete=False
        ) as handle:
            partial = Path(handle.name)
            digest = _fetch(url, handle, progress=progress, label=name)
        if digest != weights.md5:
            raise ModelUnusableError(
                f"the {name} model downloaded from {url} has md5 {digest}, not rembg's "
                f"{weights.md5}: refused (nothing was kept). Try again later, or "
                + manual_instructions(name, weights, path)
            )
        os.replace(partial, path)
        _verified[(str(path), path.stat().st_size, path.stat().st_mtime_ns)] = True
    except urllib.error.URLError as error:
        reason = getattr(error, "reason", error)
        raise ModelUnusableError(
            f"the {name} model is not in {path.parent} and cannot be downloaded "
            f"({reason}): " + manual_instructions(name, weights, path)
        ) from None
    except (OSError, ValueError) as error:
        raise ModelUnusableError(
            f"the {name} model could not be downloaded from {url} ({error}): "
            + manual_instructions(name, weights, path)
        ) from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


def _fetch(url: str, handle, *, progress: bool, label: str) -> str:
    """Copy ``url`` into ``handle``; return the md5 of what arrived.

    ``urllib`` rather than ``requests``: moto, which the local engine runs under,
    patches ``requests`` (through ``responses``) but not ``urllib``.
    """
    from tqdm import tqdm

    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "bgremove"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"downloading {label}",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            received = 0
            for block in iter(lambda: response.read(1 << 20), b""):
                handle.write(block)
                digest.update(block)
                received += len(block)
                bar.update(len(block))
        if total is not None and received != total:
            raise ValueError(f"the download ended after {received} of {total} bytes")
    return digest.hexdigest()
