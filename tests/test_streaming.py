"""A page sent in parts (servers/streaming.py): the frame first, each part in its place, in the
order of the document, a failing part replaced by a message."""

import logging

from servers import streaming


def part(name, made, *, waits=False):
    def make():
        if waits:
            yield streaming.FLUSH
        made.append(name)
        yield f"[{name}]"

    return make


def test_what_is_ready_goes_out_before_a_part_waits():
    made = []
    pieces = streaming._pieces(
        "<head>…<!--a-->…<!--b--><footer>",
        {"first": "<!--a-->", "second": "<!--b-->"},
        {"second": part("second", made, waits=True), "first": part("first", made, waits=True)},
    )
    assert next(pieces) == "<head>…"
    assert made == []  # the browser has the head while the provider is still asked
    assert next(pieces) == "[first]…"
    assert made == ["first"]  # in the document's order, whatever the dict's
    assert list(pieces) == ["[second]<footer>"]


def test_a_page_whose_parts_are_ready_is_one_piece():
    made = []
    pieces = list(
        streaming._pieces(
            "<head><!--a-->|<!--b--><footer>",
            {"a": "<!--a-->", "b": "<!--b-->"},
            {"a": part("a", made), "b": part("b", made)},
        )
    )
    assert pieces == ["<head>[a]|[b]<footer>"]


def test_a_failing_part_says_so_in_its_place_and_the_rest_still_comes(caplog):
    def broken():
        yield "half"
        raise RuntimeError("boom")

    def fine():
        yield "[fine]"

    with caplog.at_level(logging.ERROR, logger="servers.streaming"):
        page = "".join(
            streaming._pieces(
                "<!--a-->|<!--b-->|end",
                {"a": "<!--a-->", "b": "<!--b-->"},
                {"a": broken, "b": fine},
            )
        )
    assert page == f"half{streaming.FAILED_PART}|[fine]|end"
    assert "Streamed part 'a' of a page failed" in caplog.text and "boom" in caplog.text
