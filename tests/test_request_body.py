"""Untrusted JSON bodies: the nesting limit is decided in one pass, in time linear in the body
whatever it holds, and agrees with the nesting the parser itself finds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.request.body import MAX_JSON_DEPTH, loads_bounded
from tests.linear_time import cost_ratio

SIZE = 16 * 1024  # what an author route reads at most


def _loads_or_error(text: str) -> object:
    try:
        return loads_bounded(text)
    except ValueError:
        return ValueError


# N2: unterminated escapes then brackets (1.2-2.2 s in one 16 KB author body with the regex
# this replaced); and other shapes that make a string scanner start over.
WORST = [
    '"\\' * ((SIZE - 65) // 2) + "[" * 65,
    '"' * (SIZE - 65) + "[" * 65,
    "\\" * (SIZE - 65) + "[" * 65,
    '["\\"' * ((SIZE - 65) // 4) + "[" * 65,
    "[" * SIZE,
]


def _benign(size: int) -> str:
    """A valid body of exactly `size` characters, with many strings and brackets (more than
    MAX_JSON_DEPTH, so the nesting is really scanned) but shallow."""
    body = json.dumps({"lessonId": "x", "tags": [["a", {"b": "c"}]] * (size // 24), "pad": ""})
    return body[:-2] + "x" * (size - len(body)) + body[-2:]


BENIGN = _benign(SIZE)


@pytest.mark.parametrize("worst", WORST, ids=["escapes", "quotes", "backslashes", "mixed", "deep"])
def test_the_depth_check_costs_linear_time(worst: str) -> None:
    assert len(worst) <= SIZE and len(BENIGN) == SIZE
    ratio = cost_ratio(_loads_or_error, worst, BENIGN)
    assert ratio < 10, f"{ratio:.0f}x a benign body of the same size"


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _nested(value: Any, levels: int) -> Any:
    for level in range(levels):
        value = [value] if level % 2 else {'k[{\\"': value}
    return value


_TEXT = st.text(st.sampled_from(['"', "\\", "[", "]", "{", "}", "a", ",", ":", " ", "u"]))
_VALUES = st.recursive(
    st.none() | st.integers() | st.text(st.sampled_from('ab"\\[]{}/\n\u00e9')),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, extra=st.integers(min_value=0, max_value=80))
def test_fuzzed_json_is_refused_exactly_when_it_nests_too_deep(value: Any, extra: int) -> None:
    value = _nested(value, extra)
    text = json.dumps(value)
    if _depth(value) > MAX_JSON_DEPTH:
        with pytest.raises(ValueError):
            loads_bounded(text)
    else:
        assert loads_bounded(text) == value


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_fuzzed_text_is_a_value_or_a_value_error(text: str) -> None:
    result = _loads_or_error(text)
    if result is not ValueError:
        assert result == json.loads(text)
