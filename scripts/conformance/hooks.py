"""Schemathesis hooks for scripts/test-api-conformance.sh: sign in as one role and keep its device token.

The token comes from a real sign-in (demo account of LINKAGE_USER, password LINKAGE_PASSWORD) on the server
at LINKAGE_URL. `POST /v1/auth/refresh` replaces the token (the old one stops working, as the API says), so
after a successful refresh the hooks carry on with the new token, exactly as a phone does.

`GET /v1/changes?wait=n` holds an empty answer for up to n seconds (0–30). To keep the run bounded, a valid
wait above 1 s is sent as 1 s (the server's answer to a held pull is the same empty page, only sooner); out of
range values (negative cases) are sent unchanged, so the range itself is still checked.
"""

import atexit
import json
import os
import urllib.request

import schemathesis

_state = {"token": None, "sign_ins": 0, "refreshes": 0, "shortened_waits": 0}


def _sign_in() -> str:
    body = json.dumps(
        {
            "user_id": os.environ["LINKAGE_USER"],
            "password": os.environ["LINKAGE_PASSWORD"],
            "device_id": "conformance-" + os.environ["LINKAGE_USER"],
            "device_name": "schemathesis",
        }
    ).encode()
    request = urllib.request.Request(
        os.environ["LINKAGE_URL"] + "/v1/auth/sign-in", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        _state["sign_ins"] += 1
        return json.load(response)["token"]


@schemathesis.auth(refresh_interval=None, retry_on=[])
class DeviceToken:
    """The role's current device token, as `Authorization: Bearer`."""

    def get(self, case, ctx):
        if _state["token"] is None:
            _state["token"] = _sign_in()
        return _state["token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = "Bearer " + _state["token"]


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path == "/v1/changes" and case.query and "wait" in case.query:
        wait = case.query["wait"]
        if isinstance(wait, int) and not isinstance(wait, bool) and 1 < wait <= 30:
            case.query["wait"] = 1
            _state["shortened_waits"] += 1
        params = kwargs.get("params")
        if isinstance(params, dict) and case.query.get("wait") == 1:
            params["wait"] = 1


@schemathesis.hook
def after_call(context, case, response):
    if case.operation.path == "/v1/auth/refresh" and response.status_code == 200:
        _state["token"] = response.json()["token"]
        _state["refreshes"] += 1


@atexit.register
def _report():
    path = os.environ.get("LINKAGE_HOOKS_REPORT")
    if path:
        with open(path, "w") as f:
            f.write(
                f"{_state['sign_ins']} sign-in(s), {_state['refreshes']} token refresh(es) followed, "
                f"{_state['shortened_waits']} long-poll wait(s) shortened to 1 s\n"
            )
