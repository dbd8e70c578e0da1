"""The committed generated code is exactly what tools/gen_proto.py produces now."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "src" / "sparkwire" / "_gen"


def _load_gen_tool():
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "tools" / "gen_proto.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_regenerating_changes_nothing(tmp_path):
    import grpc_tools

    gen = _load_gen_tool()
    gen.generate(tmp_path)
    fresh, committed = _tree(tmp_path), _tree(COMMITTED)
    assert sorted(fresh) == sorted(committed), "generated file set differs: run tools/gen_proto.py"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, (
        f"{stale} differ from a fresh generation (grpcio-tools {grpc_tools.__file__}): "
        "edit the proto, then run `python libs/python/tools/gen_proto.py` (pinned grpcio-tools==1.84.2)"
    )


def test_generated_code_imports_inside_the_package():
    from sparkwire._gen.sparkwire.v1 import events_pb2, listener_pb2, listener_pb2_grpc

    assert listener_pb2.PublishRequest.DESCRIPTOR.full_name == "sparkwire.v1.PublishRequest"
    assert events_pb2.SparkEvent.__module__ == "sparkwire._gen.sparkwire.v1.events_pb2"
    ev = events_pb2.SparkEvent(event_id="e")
    ev.observation.name = "n"
    req = listener_pb2.PublishRequest(events=[ev])
    assert listener_pb2.PublishRequest.FromString(req.SerializeToString()) == req
    assert hasattr(listener_pb2_grpc, "ListenerServiceStub")


def test_pyi_imports_point_inside_the_package():
    text = (COMMITTED / "sparkwire" / "v1" / "listener_pb2.pyi").read_text()
    assert "from sparkwire._gen.sparkwire.v1 import events_pb2" in text
    assert "\nfrom sparkwire.v1 " not in text
