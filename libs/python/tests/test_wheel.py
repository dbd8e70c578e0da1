"""The wheel carries every line's listener jar and the generated code (package-data config)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_jar_and_generated_code(tmp_path):
    proj = tmp_path / "proj"
    skip = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.jar", "tests", ".pytest_cache")
    shutil.copytree(ROOT, proj, ignore=skip)
    jars = proj / "src" / "sparkwire" / "jars"
    from sparkwire._jar import LINES

    for line in LINES:
        (jars / line.jar_name).write_bytes(b"PK stand-in")
    out = tmp_path / "dist"
    # --no-build-isolation: uses the venv's setuptools (test extra), so no download.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(proj)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("sparkwire-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for line in LINES:
        assert f"sparkwire/jars/{line.jar_name}" in names
    for mod in ("events_pb2.py", "events_pb2.pyi", "listener_pb2.py", "listener_pb2.pyi", "listener_pb2_grpc.py"):
        assert f"sparkwire/_gen/sparkwire/v1/{mod}" in names
    assert "sparkwire/py.typed" in names
