"""Zoom detail served by the kernel (nbtrack.dashboard.zoom): ranges, reduction, errors, live runs."""

from __future__ import annotations

import numpy as np

import nbtrack
from nbtrack.dashboard.zoom import FULL_RESOLUTION, DetailServer


def _request(token, run_id, **kw):
    return {"kind": "detail", "token": token, "req": 7, "run": run_id, "key": "x", "x0": 0, "x1": 10,
            "width": 100, **kw}


def _run(tmp_path, steps):
    with nbtrack.init(dir=tmp_path, name="r") as run:
        for i in range(steps):
            run.log({"x": 1000.0 if i == steps // 3 else float(i % 10)})
    return nbtrack.open(tmp_path).run("r")


def test_a_narrow_range_comes_at_full_resolution_with_one_point_past_each_edge(tmp_path):
    reader = _run(tmp_path, 5000)
    server = DetailServer()
    token = server.register([reader])
    reply, (steps, values, times) = server.handle(_request(token, reader.id, x0=100, x1=199))
    assert reply["full"] and reply["req"] == 7 and reply["n"] == 102
    assert np.frombuffer(steps).tolist() == list(range(99, 201))
    assert np.frombuffer(values).tolist() == [float(i % 10) for i in range(99, 201)]
    assert len(np.frombuffer(times)) == 102


def test_a_wide_range_is_reduced_and_keeps_its_spike(tmp_path):
    reader = _run(tmp_path, FULL_RESOLUTION + 50_000)
    server = DetailServer()
    token = server.register([reader])
    reply, (steps, values, _) = server.handle(_request(token, reader.id, x0=0, x1=10**9, width=500))
    assert not reply["full"] and reply["n"] <= 4 * 500 + 10
    assert np.frombuffer(values).max() == 1000.0 and np.frombuffer(steps)[-1] == FULL_RESOLUTION + 49_999


def test_bad_requests_get_an_error_reply_never_an_exception(tmp_path):
    reader = _run(tmp_path, 10)
    server = DetailServer()
    token = server.register([reader])
    for bad in (_request("nope", reader.id), _request(token, "other-run"), _request(token, reader.id, key="y"),
                _request(token, reader.id, x0="nan"), _request(token, reader.id, x0=5, x1=1),
                _request(token, reader.id, width=10**9), {"kind": "detail"}):
        reply, buffers = server.handle(bad)
        assert reply["kind"] == "detail" and reply["error"] and buffers == []
    server.forget(token)
    assert server.handle(_request(token, reader.id))[0]["error"]


def test_a_live_run_is_read_anew_for_every_request(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="live")
    run.log({"x": 1.0})
    run.flush()
    server = DetailServer()
    token = server.register([nbtrack.open(tmp_path).run("live")], live=True)
    assert server.handle(_request(token, run.id, x1=100))[0]["n"] == 1
    for _ in range(5):
        run.log({"x": 2.0})
    run.flush()
    assert server.handle(_request(token, run.id, x1=100))[0]["n"] == 6
    run.finish()


def test_a_live_dashboard_answers_detail_requests_over_its_own_comm(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="live")
    for i in range(100):
        run.log({"x": float(i)})
    dash = run.show()
    sent = []
    dash.send = lambda content, buffers=None: sent.append((content, buffers))
    dash._on_message(dash, {"kind": "detail", "req": 3, "run": run.id, "key": "x", "x0": 10, "x1": 20,
                            "width": 50}, [])
    (reply, buffers), = sent
    assert reply["req"] == 3 and reply["full"] and np.frombuffer(buffers[0]).tolist() == list(range(9, 22))
    run.finish()
    dash.close()
