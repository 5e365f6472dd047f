"""nbtrack.paths: names made safe as single path components, distinct names kept distinct."""

from __future__ import annotations

import pytest

from nbtrack.paths import confined, safe_component


@pytest.mark.parametrize("name", ["../../x", "..", ".", "a/b", "a\\b", "", " ", "x" * 500, "训练/损失 😀",
                                  "con:aux*?", "\x00nul"])
def test_safe_component_never_escapes(tmp_path, name):
    part = safe_component(name)
    assert part and "/" not in part and "\\" not in part and part not in (".", "..")
    assert len(part.encode()) <= 140
    path = confined(tmp_path, name)
    assert path.parent == tmp_path


def test_safe_component_keeps_distinct_names_distinct():
    names = ["a/b", "a_b", "a\\b", "a:b", "A/b"]
    assert len({safe_component(n) for n in names}) == len(names)
    assert safe_component("plain-name") == "plain-name"
    assert safe_component("训练") == "训练"
