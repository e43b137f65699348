"""`rebal init`: a project home from the shipped files, writing over nothing."""
from __future__ import annotations

import pytest
from conftest import REPO, assert_one_line_error

from rebal.errors import ConfigError
from rebal.home import README_STUB, init_home, shipped_files, shipped_root


def test_in_a_checkout_the_shipped_files_are_the_repository_folders():
    assert shipped_root() == REPO
    files = {p.as_posix() for p in shipped_files()}
    assert "notebooks/drift_audit.ipynb" in files and "params/profiles/min_variance.yaml" in files
    assert "params/views/bl_tilts.yaml" in files and "params/stress/episodes.yaml" in files
    assert "notebooks/explore/explore.ipynb" in files
    assert not any(".ipynb_checkpoints" in f for f in files)


def test_init_lays_out_params_notebooks_data_and_a_readme(tmp_path):
    res = init_home(tmp_path / "proj")
    home = tmp_path / "proj"
    assert res.home == home.resolve()
    for rel in shipped_files():
        assert (home / rel).read_bytes() == (REPO / rel).read_bytes(), rel
    assert (home / "data").is_dir()
    assert (home / "README.md").read_text() == README_STUB
    assert "/data/" in (home / ".gitignore").read_text()
    assert not list(home.glob(".rebal-init-*"))


def test_init_writes_over_nothing_unless_forced(tmp_path):
    home = tmp_path / "proj"
    init_home(home)
    (home / "params" / "profiles" / "min_variance.yaml").write_text("# edited\n")
    (home / "params" / "profiles" / "mine.yaml").write_text("# my own\n")
    (home / "README.md").write_text("# my notes\n")
    with pytest.raises(ConfigError, match=r"min_variance.yaml|already exists.*--force"):
        init_home(home)
    assert (home / "params" / "profiles" / "min_variance.yaml").read_text() == "# edited\n"
    res = init_home(home, force=True)
    assert (home / "params" / "profiles" / "min_variance.yaml").read_bytes() == \
        (REPO / "params" / "profiles" / "min_variance.yaml").read_bytes()
    assert (home / "params" / "profiles" / "mine.yaml").read_text() == "# my own\n"
    assert (home / "README.md").read_text() == "# my notes\n"
    assert res.kept and res.replaced


def test_rebal_init_prints_the_next_two_commands(tmp_path, cli):
    res = cli(None, "init", str(tmp_path / "p"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"cd {tmp_path / 'p'}" in res.stdout
    assert "rebal data build-sample" in res.stdout and "rebal run" in res.stdout
    again = cli(None, "init", str(tmp_path / "p"), cwd=tmp_path)
    assert_one_line_error(again, "already exists", "--force")


def test_without_a_project_the_error_points_to_rebal_init(tmp_path, cli):
    assert_one_line_error(cli(None, "profiles", cwd=tmp_path), "profile directory not found", "rebal init")
