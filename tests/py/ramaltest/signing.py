"""X-Twilio-Signature: built by hand (twilio_signature, also used by
scripts/bench.py), checked against twilio's RequestValidator (Signer), and
signed webhooks posted to a server (Webhook), signed over the URL the way
Twilio signs that kind of callback (signed_url) and their TwiML answers
checked as Twilio would read them (ramaltest.voice.check_answer)."""

import base64
import hashlib
import hmac
import urllib.parse

from .server import new_session
from .voice import FALLBACK, check_answer


def twilio_signature(token, url, pairs=()):
    """X-Twilio-Signature for url and form pairs, built by hand.

    The signed string is the URL followed, for each parameter name in
    sorted order, by name+value for each of its distinct values in sorted
    order (repeated keys; an exact duplicate name=value counts once, as in
    current twilio-python: `sorted(set(values))`).  HMAC-SHA1 with the auth
    token, base64.
    """
    by_name = {}
    for k, v in pairs:
        by_name.setdefault(k, []).append(v)
    s = url
    for k in sorted(by_name):
        for v in sorted(set(by_name[k])):
            s += k + v
    mac = hmac.new(token.encode("utf-8"), s.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


class Signer:
    """X-Twilio-Signature helpers.

    params may be a dict or a list of (name, value) pairs.  sign() uses
    twilio's RequestValidator when no key repeats (python-twilio 7.7 has no
    repeated-key support) and twilio_signature() otherwise; for
    non-repeated params it first checks that both agree.
    """

    @staticmethod
    def library(token, url, params):
        from twilio.request_validator import RequestValidator

        return RequestValidator(token).compute_signature(url, dict(_pairs(params)))

    @staticmethod
    def manual(token, url, params):
        return twilio_signature(token, url, _pairs(params))

    def sign(self, token, url, params=()):
        pairs = _pairs(params)
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            return self.manual(token, url, pairs)
        lib = self.library(token, url, pairs)
        man = self.manual(token, url, pairs)
        assert lib == man, "hand-built signature disagrees with twilio's RequestValidator"
        return lib

    @staticmethod
    def validate(token, url, params, signature):
        from twilio.request_validator import RequestValidator

        return RequestValidator(token).validate(url, params, signature)


def _pairs(params):
    if isinstance(params, dict):
        return list(params.items())
    return list(params)


# Callbacks Twilio signs over the URL as configured, port included:
# conference status callbacks (twilio/twilio-node issue #411) and, as
# "other callbacks", TaskRouter's (docs/twilio-behaviour.md, "Webhook
# signatures and ports").
PORT_KEPT = ("/twilio/conference", "/twilio/taskrouter/")


def signed_url(url):
    """The URL Twilio computes the signature of when it requests url: for
    HTTPS voice webhooks and voice status callbacks (TwiML requests, call
    and recording status) without the port; conference and TaskRouter
    callbacks, and any http:// URL, as they are."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "https" or u.port is None or u.path.startswith(PORT_KEPT):
        return url
    return urllib.parse.urlunsplit((u.scheme, u.hostname, u.path, u.query, u.fragment))


class Webhook:
    """Posts Twilio-style webhooks to a server, signed the way Twilio
    signs that callback, and checks every TwiML answer in the context of
    its route."""

    def __init__(self, signer):
        self.signer = signer
        self.session = new_session()

    def post(self, srv, params, path=FALLBACK, query="", token=None, sign_url=None, signature=None,
             headers=None, body=None, content_type="application/x-www-form-urlencoded", timeout=10):
        """POST params (pairs) to srv at path?query, signed over
        srv.base_url + path + query as Twilio signs it (signed_url) with
        token (default: the server's env account token), unless sign_url
        or signature is given.  body overrides the encoded form (signature
        still computed from params).  A 200 text/xml answer is checked as
        TwiML of the route (TwimlError when Twilio would refuse it)."""
        token = token if token is not None else srv.auth_token
        q = ("?" + query) if query else ""
        if sign_url is None:
            sign_url = signed_url(srv.base_url + path + q)
        if signature is None:
            signature = self.signer.sign(token, sign_url, params)
        if body is None:
            body = urllib.parse.urlencode(_pairs(params)).encode("utf-8")
        h = {"Content-Type": content_type}
        if signature is not False:
            h["X-Twilio-Signature"] = signature
        h.update(headers or {})
        r = self.session.post(srv.url + path + q, data=body, headers=h, timeout=timeout)
        if r.status_code == 200 and r.headers.get("Content-Type", "").split(";")[0].strip() == "text/xml":
            check_answer(path, query, r.content, srv.base_url)
        return r
