"""scripts/layers.py, the check behind `make layers`: it must pass a tree
whose layers hold and fail, naming the files and symbols, on a call cycle
between files or a call into a layer above."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "layers.py"
USES = "lib=lib core=lib,core"


def build(root, sources):
    """Compile {"layer/name": C source} into root/layer/name.o."""
    cc = os.environ.get("CC") or shutil.which("cc")
    objs = []
    for name, text in sources.items():
        src = root / (name + ".c")
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        obj = root / (name + ".o")
        subprocess.run([cc, "-c", "-o", str(obj), str(src)], check=True)
        objs.append(str(obj))
    return objs


def check(root, objs):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--uses", USES] + objs,
        capture_output=True, text=True,
    )


@pytest.fixture
def root(tmp_path):
    if shutil.which("nm") is None:
        pytest.fail("nm (binutils) is needed by make layers")
    return tmp_path / "obj"


def test_layers_that_hold_pass(root):
    objs = build(root, {
        "lib/mem": "int mem_size(void) { return 1; }\n",
        "core/pool": "int mem_size(void);\nint pool_size(void) { return mem_size(); }\n",
    })
    r = check(root, objs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no cycle" in r.stdout


def test_a_cycle_between_two_files_fails(root):
    objs = build(root, {
        "core/http": "int guard(void);\nint serve(void) { return guard(); }\n",
        "core/guard": "int serve(void);\nint guard(void) { return serve() + 1; }\n",
    })
    r = check(root, objs)
    assert r.returncode == 1
    assert "call cycle between core/guard.o, core/http.o" in r.stdout
    assert "core/http.o -> core/guard.o (guard)" in r.stdout


def test_a_call_into_a_layer_above_fails(root):
    objs = build(root, {
        "lib/log": "int pool_size(void);\nint log_level(void) { return pool_size(); }\n",
        "core/pool": "int pool_size(void) { return 4; }\n",
    })
    r = check(root, objs)
    assert r.returncode == 1
    assert "lib/log.o (lib) uses core/pool.o (core), a layer it may not use: pool_size" in r.stdout


def test_a_bad_rule_is_a_usage_error(root):
    objs = build(root, {"lib/mem": "int mem_size(void) { return 1; }\n"})
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--uses", "lib"] + objs,
        capture_output=True, text=True,
    )
    assert r.returncode == 2
    assert "bad --uses item" in r.stderr
