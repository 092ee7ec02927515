"""A page sent in parts: its frame at once, then each slow part as soon as it is ready, in the
order of the document.

The browser shows what it has while the rest is on its way, without any script: the parts come
in the order they stand in, so nothing has to be moved into place, and the page works without
JavaScript. A part that fails is replaced by a short message and logged; the parts after it
still come.

What is ready goes out together: a part yields `FLUSH` just before it waits, and only then is
what came before it sent. A page whose parts are all ready at once (its lists cached) is one
write, as an ordinary response is; a browser given the page in many small pieces lays it out
again after each.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.http import StreamingHttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Yielded by a part just before it waits: what is ready so far is sent.
FLUSH = object()

FAILED_PART = (
    '<p class="alert alert-error" role="alert" data-testid="part-failed">'
    "This part of the page could not be shown. Reload the page to try again.</p>"
)


def stream_page(
    request,
    template_name: str,
    context: dict,
    parts: dict[str, Callable[[], Iterable[str]]],
) -> StreamingHttpResponse:
    """Render `template_name` with a placeholder for each of `parts` (the template puts
    `{{ parts.NAME }}` where that part goes), and send it with each part's pieces in place: what
    is ready goes out whenever a part is about to wait (it yields `FLUSH`).

    The frame is rendered here, before the response starts: its errors are the view's, and the
    session, messages and CSRF cookie it uses reach the response's headers.
    """
    # A random mark per response: no text of the page (an account's name, a provider's words)
    # can be taken for one.
    marks = {name: f"<!--part-{secrets.token_hex(12)}-->" for name in parts}
    frame = render_to_string(
        template_name,
        {**context, "parts": {name: mark_safe(mark) for name, mark in marks.items()}},  # noqa: S308
        request,
    )
    get_token(request)  # the parts' forms need the CSRF cookie, which only the headers can set
    response = StreamingHttpResponse(
        _pieces(frame, marks, parts), content_type="text/html; charset=utf-8"
    )
    # A proxy that buffers (nginx does by default) would hold the parts until the end.
    response["X-Accel-Buffering"] = "no"
    return response


def _pieces(
    frame: str, marks: dict[str, str], parts: dict[str, Callable[[], Iterable[str]]]
) -> Iterator[str]:
    ready: list[str] = []
    rest = frame
    for name, mark in sorted(marks.items(), key=lambda item: frame.find(item[1])):
        before, found, rest = rest.partition(mark)
        ready.append(before)
        if not found:
            continue
        for piece in _part(name, parts[name]):
            if piece is not FLUSH:
                ready.append(piece)
            elif any(ready):
                yield "".join(ready)
                ready = []
    yield "".join([*ready, rest])


def piece(make: Callable[[], T], what: str, failed: T | str = FAILED_PART) -> T | str:
    """`make()`, or, if it fails, `failed` (by default the short message in its place), logged:
    one account's section that fails leaves the sections after it to come."""
    try:
        return make()
    except Exception:
        logger.exception("Streamed %s failed", what)
        return failed


def _part(name: str, make: Callable[[], Iterable[str]]) -> Iterator[str | object]:
    try:
        yield from make()
    except Exception:
        # The response has started (200): the page says so where the part should be.
        logger.exception("Streamed part %r of a page failed", name)
        yield FAILED_PART
