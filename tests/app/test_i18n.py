"""The interface strings (app/static/i18n.js): every key is defined once per language, so a
block added by one page cannot silently relabel another page's control."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

I18N = Path(__file__).resolve().parents[2] / "app" / "static" / "i18n.js"
KEY = re.compile(r"(?:^|[{,\s])([a-z][a-z0-9_]*): [\"`]")


def _keys(lang: str) -> Counter:
    text = I18N.read_text(encoding="utf-8")
    base = re.search(rf"\n  {lang}: \{{(.*?)\n  \}},?\n", text, re.S)
    blocks = re.findall(rf"Object\.assign\(I18N\.{lang}, \{{(.*?)\n\}}\);", text, re.S)
    assert base and blocks, "i18n.js layout changed: update this test"
    return Counter(k for body in [base.group(1), *blocks] for k in KEY.findall(body))


def test_every_key_is_defined_once_per_language():
    for lang in ("zh", "en"):
        keys = _keys(lang)
        assert len(keys) > 100
        assert [k for k, n in keys.items() if n > 1] == [], lang


def test_both_languages_have_the_same_keys():
    assert set(_keys("zh")) == set(_keys("en"))
