"""Text, Markdown and Html: stored and read back character for character; bad input is explained."""

from __future__ import annotations

import pytest

import nbtrack


def _roundtrip(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_text_markdown_html_identical(logdir):
    text = "Loss 📉 下降了 — <script>alert(1)</script>\n\ttabs & \"quotes\""
    r = _roundtrip(logdir, t=nbtrack.Text(text), m=nbtrack.Markdown("# 标题 **bold** 😀"),
                   h=nbtrack.Html("<b>bold</b><script>x()</script>"))
    assert r.texts("t").text[0] == text
    assert r.texts("m").kind[0] == "markdown" and r.texts("m").text[0] == "# 标题 **bold** 😀"
    assert r.texts("h").kind[0] == "html" and r.texts("h").text[0] == "<b>bold</b><script>x()</script>"


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: nbtrack.Text(42), TypeError, r"text must be a str, got int"),
])
def test_bad_text_input_is_explained(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
