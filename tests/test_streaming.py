"""A page sent in parts (servers/streaming.py): the frame first, each part in its place, in the
order of the document, a failing part replaced by a message."""

import logging

from servers import streaming


def test_the_frame_goes_out_before_any_part_is_made():
    made = []

    def part(name):
        def make():
            made.append(name)
            yield f"[{name}]"

        return make

    marks = {"first": "<!--a-->", "second": "<!--b-->"}
    pieces = streaming._pieces(
        "<head>…<!--a-->…<!--b--><footer>",
        marks,
        {"second": part("second"), "first": part("first")},
    )
    assert next(pieces) == "<head>…"
    assert made == []  # the browser has the head while the provider is still asked
    assert "".join(pieces) == "[first]…[second]<footer>"
    assert made == ["first", "second"]  # in the document's order, whatever the dict's


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
