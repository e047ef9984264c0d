"""`harness report RUN --archive DEST` replaces DEST wholesale, so it only writes into a new or empty folder or one an
archive wrote itself (the .hardneg-archive marker); anything else is one line, exit 2, and nothing touched."""
import subprocess
import sys

import pytest

from harness.config import ConfigError
from harness.reporting.archive import MARKER, check_dest

from .conftest import ROOT


def _report(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", "report", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_dest_rules(tmp_path):
    run = tmp_path / "runs" / "tiny"
    run.mkdir(parents=True)
    check_dest(run, tmp_path / "new")  # a new folder
    (tmp_path / "empty").mkdir()
    check_dest(run, tmp_path / "empty")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / MARKER).write_text("x")
    (tmp_path / "mine" / "old.txt").write_text("x")
    check_dest(run, tmp_path / "mine")  # written by an earlier archive
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.md").write_text("keep me")
    for dest, needle in [(tmp_path / "theirs", "not empty"), (tmp_path / "runs", "holds the run directory"),
                         (run, "holds the run directory"), (run / "archive", "inside the run directory"),
                         (tmp_path / "theirs" / "notes.md", "a file of that name")]:
        with pytest.raises(ConfigError) as e:
            check_dest(run, dest)
        assert needle in str(e.value) and "\n" not in str(e.value)
    assert (tmp_path / "theirs" / "notes.md").read_text() == "keep me"


@pytest.mark.parametrize("dest", [".", "reports", "tests"])
def test_cli_refuses_a_folder_it_did_not_write(dest):
    before = sorted(p.name for p in (ROOT / dest).iterdir())
    r = _report("reports/tiny", "--archive", dest)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith(f"error: --archive {dest}:")
    assert sorted(p.name for p in (ROOT / dest).iterdir()) == before


def test_archive_writes_new_folder_and_replaces_only_its_own(tmp_path):
    dest = tmp_path / "archived"
    r = _report(str(ROOT / "reports" / "tiny"), "--archive", str(dest))
    assert r.returncode == 0, r.stderr[-2000:]
    assert (dest / MARKER).is_file() and (dest / "results.json").is_file() and (dest / "report" / "report.md").is_file()
    (dest / "stale.txt").write_text("from an older archive")
    r = _report(str(ROOT / "reports" / "tiny"), "--archive", str(dest))  # its own folder: replaced
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (dest / "stale.txt").exists() and (dest / MARKER).is_file()
    assert not (dest / ".locks").exists()
