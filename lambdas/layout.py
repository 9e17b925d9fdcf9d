"""The storage layout of a run: every prefix and key bgremove reads or writes.

This module is the one home of these names. The Lambdas (through
``lambdas.run_store``), the CDK constructs (grants, lifecycle rules) and the local
engine import them; no other module writes a prefix literal.

On AWS the keys below are keys in the batch bucket. A local run keeps the same
keys and maps them onto folders (``LocalPaths``): sources stay where the user keeps
them, cutouts go into ``--out``, and bgremove's own files into a hidden folder there.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path

# --- The bucket's prefixes ----------------------------------------------------------------

INPUTS = "inputs/"  #: photos to process (AWS runs read only below this prefix)
MANIFESTS = "manifests/"  #: manifests uploaded for runs
RUNS = "runs/"  #: per run: items.json, plan.json, records/
WORK = "work/"  #: intermediate images; expire after a day
CACHE = "cache/"  #: masks by model + parameters + input hash
OUTPUTS = "outputs/"  #: cutouts, mirroring the layout below inputs/
REPORTS = "reports/"  #: per run: report.json, report.csv, index.html, previews/

#: Prefixes the workflow writes; never read as inputs.
RESERVED_PREFIXES = (RUNS, WORK, OUTPUTS, REPORTS, CACHE)

ITEMS_FILE = "items.json"
PLAN_FILE = "plan.json"
REPORT_FILES = ("report.json", "report.csv", "index.html")
PREVIEWS = "previews/"
RECORDS = "records/"


MAP_RESULTS = "map-results/"
#: Every run's items file, as an IAM resource pattern (the run id is known only at run time).
ITEMS_PATTERN = f"{RUNS}*/{ITEMS_FILE}"
#: Every run's Map results (the ResultWriter's files), as an IAM resource pattern.
MAP_RESULTS_PATTERN = f"{RUNS}*/{MAP_RESULTS}*"


def everything_under(prefix: str) -> str:
    """The IAM resource pattern for every key below ``prefix``."""
    return f"{prefix}*"


def runs_prefix(run_id: str) -> str:
    return f"{RUNS}{run_id}/"


def work_prefix(run_id: str) -> str:
    return f"{WORK}{run_id}/"


def report_prefix(run_id: str) -> str:
    return f"{REPORTS}{run_id}/"


def items_key(run_id: str) -> str:
    """What the Map's ItemReader reads."""
    return f"{runs_prefix(run_id)}{ITEMS_FILE}"


def map_results_prefix(run_id: str) -> str:
    """Where the Distributed Map writes its children's results (not into its output)."""
    return f"{runs_prefix(run_id)}{MAP_RESULTS}"


def plan_key(run_id: str) -> str:
    return f"{runs_prefix(run_id)}{PLAN_FILE}"


def records_prefix(run_id: str) -> str:
    return f"{runs_prefix(run_id)}{RECORDS}"


def record_key(run_id: str, item_id: str) -> str:
    return f"{records_prefix(run_id)}{item_id}.json"


def work_key(run_id: str, item_id: str, name: str) -> str:
    return f"{work_prefix(run_id)}{item_id}/{name}"


def preview_key(run_id: str, item_id: str, name: str) -> str:
    return f"{report_prefix(run_id)}{PREVIEWS}{item_id}_{name}"


def report_key(run_id: str, name: str) -> str:
    return f"{report_prefix(run_id)}{name}"


def cache_key(model_name: str, digest: str) -> str:
    return f"{CACHE}{model_name}/{digest}.png"


def manifest_key(name: str) -> str:
    return f"{MANIFESTS}{name}"


# --- A local run's folders ----------------------------------------------------------------

#: bgremove's own files inside ``--out``; a folder holding one is never an input.
STATE_FOLDER = ".bgremove"
#: Written first into ``--out``; its presence marks a folder as bgremove's output.
MARKER_FILE = "README.txt"
MARKER_TEXT = (
    "This folder holds bgremove's state for the cutouts next to it: item records\n"
    "(so a re-run resumes where the last one stopped) and temporary files.\n"
    "bgremove never reads a folder that contains it as input.\n"
)


@dataclass(frozen=True)
class LocalPaths:
    """Where a local run's keys live on disk.

    Attributes
    ----------
    root
        The folder sources are read from, in place (a key is a path below it).
    out
        ``--out``: cutouts (``outputs/…`` keys), the report and its previews.
    cache
        Masks kept between runs (``None``: a folder of this run's, removed at the end).
    """

    root: Path
    out: Path
    cache: Path | None

    @property
    def state(self) -> Path:
        return self.out / STATE_FOLDER

    @property
    def records(self) -> Path:
        return self.state / RECORDS.rstrip("/")

    @property
    def temporary(self) -> Path:
        """Partial files are written here, then renamed into place (same file system)."""
        return self.state / "tmp"

    def work(self, run_id: str) -> Path:
        return self.state / WORK.rstrip("/") / run_id

    def cache_folder(self, run_id: str) -> Path:
        return self.cache if self.cache is not None else self.work(run_id) / CACHE.rstrip("/")

    def plan(self, run_id: str) -> Path:
        return self.state / RUNS.rstrip("/") / run_id / PLAN_FILE

    def record(self, source_key: str, output_key: str) -> Path:
        """One record per (source, output), kept across runs so a re-run can resume."""
        return self.records / f"{item_slug(source_key, output_key)}.json"

    def path_for(self, run_id: str, key: str) -> Path:
        """The file a key maps to. A report's files (of any run: records name the
        previews of the run that made them) all go into ``--out``.
        """
        if key.startswith(REPORTS):
            _, _, name = key[len(REPORTS) :].partition("/")
            return _below(self.out, name)
        for prefix, folder in (
            (OUTPUTS, self.out),
            (work_prefix(run_id), self.work(run_id)),
            (CACHE, self.cache_folder(run_id)),
        ):
            if key.startswith(prefix):
                return _below(folder, key[len(prefix) :])
        raise ValueError(f"{key!r} is not a key a local run writes")

    def source(self, key: str) -> Path:
        return _below(self.root, key)


def item_slug(source_key: str, output_key: str) -> str:
    """A stable, file-name-safe name for an item across runs."""
    digest = hashlib.sha256(f"{source_key}\0{output_key}".encode()).hexdigest()
    return digest[:24]


def local_preview_key(run_id: str, source_key: str, output_key: str, name: str) -> str:
    """Previews of a local run are named by item, not by position, so re-runs keep them."""
    return preview_key(run_id, item_slug(source_key, output_key), name)


def _below(folder: Path, relative: str) -> Path:
    parts = posixpath.normpath(relative).split("/")
    if relative.startswith("/") or ".." in parts:
        raise ValueError(f"{relative!r} leaves {folder}")
    return folder.joinpath(*parts)
