"""The client side of the `/_sim/` control API, for tests and scripts that drive a simulator."""
import json
import urllib.parse
import urllib.request


def control(base_url, method, path, body=None):
    """Call the control API of the simulator at `base_url`; returns the parsed JSON answer or None."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


def bill(base_url, github_token):
    """The bill of the seat behind a GitHub token (`GET /_sim/bill`): credits charged and left,
    overage, and per model the requests and their tokens."""
    return control(base_url, "GET", "/_sim/bill?" + urllib.parse.urlencode({"token": github_token}))
