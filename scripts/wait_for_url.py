"""Wait until a URL answers 200, for at most a minute (scripts/screenshot.py uses `wait_for`
too): `make run` starts the worker once the dev server answers, since the worker's first round
asks the demo's sandbox, which that server serves (asked before, the call was refused, and the
demo's servers page showed the failure for the 10 s of the back-off).

    python scripts/wait_for_url.py URL [SECONDS]

Exits 0 once the URL answers 200, 1 if it did not within SECONDS (60).
"""

import sys
import time
import urllib.request


def wait_for(url: str, seconds: float, *, worth_waiting=lambda: True) -> bool:
    """Whether `url` answered 200 within `seconds`; gives up early once `worth_waiting()` is
    false (the server it waits for has exited)."""
    # No proxy: the URL is a server on this machine, whatever http_proxy says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while worth_waiting():
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:  # refused, reset, timed out, or an HTTP error status
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)
    return False


def main(argv: list[str]) -> int:
    url = argv[1]
    seconds = float(argv[2]) if len(argv) > 2 else 60.0
    if wait_for(url, seconds):
        return 0
    print(f"{url} did not answer within {seconds:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
