#!/usr/bin/env python3
"""A browser's sign-in, for .ci/image-checks: standard library only, run on the host.

image_client.py login SITE USERNAME PASSWORD_FILE SESSION_FILE
    GET the sign-in page, POST the form with its CSRF token (cookie and field), and write the
    session cookie to SESSION_FILE. Fails unless the panel then answers "/" with 200.
image_client.py signed-in SITE SESSION_FILE
    Exit 0 when "/" answers 200 with that session cookie (signed in), 1 when it redirects.
"""

import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

# ruff: noqa: S310 (the URLs are the panel's, on 127.0.0.1, given by .ci/image-checks)

LOGIN = "/auth/login/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener(jar):
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(jar),
        _NoRedirect(),
    )


def _status(opener, request):
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode(errors="replace")


def home_status(site, session):
    request = urllib.request.Request(site + "/", headers={"Cookie": f"sessionid={session}"})
    status, headers, _ = _status(_opener(http.cookiejar.CookieJar()), request)
    return status, headers.get("Location", "")


def login(site, username, password_file, session_file):
    with open(password_file) as handle:
        password = handle.read().strip()
    jar = http.cookiejar.CookieJar()
    opener = _opener(jar)
    status, _, page = _status(opener, urllib.request.Request(site + LOGIN))
    assert status == 200, f"GET {LOGIN}: {status}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token in the sign-in form"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": username, "password": password}
    ).encode()
    status, _, page = _status(
        opener, urllib.request.Request(site + LOGIN, data=form, headers={"Referer": site + LOGIN})
    )
    assert status == 302, f"POST {LOGIN}: {status}, not a redirect: the sign-in was refused"
    session = next((cookie.value for cookie in jar if cookie.name == "sessionid"), None)
    assert session, "no session cookie after signing in"
    status, location = home_status(site, session)
    assert status == 200, f"GET / after signing in: {status} {location}"
    with open(session_file, "w") as handle:
        handle.write(session)


def main(argv):
    if argv[1] == "login":
        login(*argv[2:6])
        return 0
    if argv[1] == "signed-in":
        with open(argv[3]) as handle:
            status, location = home_status(argv[2], handle.read().strip())
        print(f"GET / answered {status}{' -> ' + location if location else ''}")
        return 0 if status == 200 else 1
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
