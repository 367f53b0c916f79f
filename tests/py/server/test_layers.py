"""scripts/layers.py, the check behind `make layers`: it must pass a tree
whose layers hold and fail, naming the files and symbols, on a call cycle
between files, a call into a layer above, or libpq used outside the layers
--pq-layers names (core and store by default; the wiring objects directly
under --root may use it too)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "layers.py"
USES = "lib=lib core=lib,core"
USES_PQ = "core=core store=core,store calls=core,store,calls"

# A caller of libpq, as a layer above the store would be: the functions
# are only declared, so the object refers to them (nm: U).
PQ_CALLER = (
    "typedef struct pg_result PGresult;\n"
    "char *PQgetvalue(const PGresult *, int, int);\n"
    "void PQclear(PGresult *);\n"
    "int %s(PGresult *r) { int c = PQgetvalue(r, 0, 0)[0]; PQclear(r);"
    " return c; }\n"
)



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


def check(root, objs, *extra, uses=USES):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--uses", uses]
        + list(extra) + objs,
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


def test_libpq_in_core_store_and_the_wiring_passes(root):
    objs = build(root, {
        "core/db": PQ_CALLER % "db_first",
        "store/store_hold": PQ_CALLER % "store_hold_leg",
        "main": PQ_CALLER % "main_first",
        "calls/hold": "int store_hold_leg(void *);\n"
                      "int hold_resolve(void *r) { return store_hold_leg(r); }\n",
    })
    r = check(root, objs, uses=USES_PQ)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "libpq only in core, store" in r.stdout


def test_libpq_in_a_layer_above_the_store_fails(root):
    objs = build(root, {
        "store/store_hold": PQ_CALLER % "store_hold_leg",
        "calls/hold": PQ_CALLER % "hold_resolve",
    })
    r = check(root, objs, uses=USES_PQ)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("calls/hold.o (calls) uses libpq, which only core, store may: "
            "PQclear, PQgetvalue") in r.stdout
    assert "store/store_hold.o" not in r.stdout
    assert "1 problem(s)" in r.stdout


def test_pq_layers_names_the_layers_that_may(root):
    objs = build(root, {"calls/hold": PQ_CALLER % "hold_resolve"})
    r = check(root, objs, "--pq-layers", "core,store,calls", uses=USES_PQ)
    assert r.returncode == 0, r.stdout + r.stderr
    r = check(root, objs, "--pq-layers", "core", uses=USES_PQ)
    assert r.returncode == 1
    assert "calls/hold.o (calls) uses libpq, which only core may" in r.stdout


def test_a_bad_pq_layers_item_is_a_usage_error(root):
    objs = build(root, {"core/db": "int db_size(void) { return 1; }\n"})
    r = check(root, objs, "--pq-layers", "core,st ore", uses=USES_PQ)
    assert r.returncode == 2
    assert "bad --pq-layers item" in r.stderr
