"""A fake Twilio REST API on loopback that checks requests against the spec.

Serves every path of the OpenAPI extract in tests/py/ramaltest/oai/ (the 2010 API
under /2010-04-01/..., TaskRouter, Messaging v1 and Trust Hub under /v1/...,
Numbers v2's regulatory bundles under /v2/...) from one ThreadingHTTPServer on
127.0.0.1:0.  Point TWILIO_API_BASE, TWILIO_TASKROUTER_BASE and
TWILIO_NUMBERS_BASE at `fake.url`.

For each request it checks HTTP Basic auth (account SID + auth token, or
API key SID + secret), that the method exists for the path, that path
parameters match their patterns, and that the form (POST) and query
parameters are known, of the right type (booleans `true`/`false`,
integers), within `enum`, matching `pattern`, repeated only when the spec
says `type: array`, and that required ones are present.  Every request is
recorded in `fake.requests`; problems also go to `fake.violations`.

Answers: a programmed response when one matches (`fake.respond(...)`),
otherwise Twilio's error JSON (401/404/405/400), a GET answered from the
account resources a test set (see "account resources" below: accounts,
TwiML Apps, IncomingPhoneNumbers, TaskRouter objects, regulatory bundles),
a write to them when the test asked for it (model_writes: buying, updating
and releasing numbers, updating TwiML Apps, workspaces and workflows), the
numbers for sale a test put up (add_available), or a JSON body built from
the response schema with the spec's success status code.
"""

import base64
import datetime
import email.utils
import hashlib
import json
import os
import re
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from . import twiml_model
except ImportError:  # run as a script: python3 fake_twilio.py
    import twiml_model

OAI_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oai")
PRODUCT_FILES = ("api_v2010.json", "taskrouter_v1.json", "messaging_v1.json", "trusthub_v1.json",
                 "numbers_v2.json")

SID_RE = re.compile(r"^\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$$")


def _load_specs():
    specs = {}
    for fn in PRODUCT_FILES:
        with open(os.path.join(OAI_DIR, fn)) as f:
            specs[fn.split(".")[0]] = json.load(f)
    return specs


class Route:
    def __init__(self, product, template, entry):
        self.product = product
        self.template = template
        self.entry = entry
        self.methods = entry["methods"]
        self.names = re.findall(r"\{([^}]+)\}", template)
        rx = ""
        for part in re.split(r"(\{[^}]+\})", template):
            if part.startswith("{") and part.endswith("}"):
                rx += "([^/]+?)"
            else:
                rx += re.escape(part)
        self.regex = re.compile("^" + rx + "$")
        # more literal text first, so /Calls/{CallSid}/Recordings.json wins
        # over anything looser
        self.weight = len(re.sub(r"\{[^}]+\}", "", template))

    def match(self, path):
        m = self.regex.match(path)
        if not m:
            return None
        return dict(zip(self.names, m.groups()))


class Recorded:
    """One request as the fake saw it."""

    def __init__(self, method, path, query, form, body, headers, auth_user):
        self.method = method
        self.path = path
        self.query = query  # list of (name, value)
        self.form = form  # list of (name, value)
        self.body = body  # raw bytes
        self.headers = headers  # dict, lower-case names
        self.auth_user = auth_user
        self.violations = []
        self.status = None
        self.operation = None
        self.product = None
        self.path_params = {}

    def form_dict(self):
        """name -> list of values."""
        d = {}
        for k, v in self.form:
            d.setdefault(k, []).append(v)
        return d

    def __repr__(self):
        return "<%s %s %s -> %s%s>" % (self.method, self.path, self.form, self.status,
                                       (" violations=%r" % self.violations) if self.violations else "")


def twilio_error(status, code, message):
    return {
        "code": code,
        "message": message,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "status": status,
    }


def _snake(name):
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return s.lower()


def check_params(spec_params, pairs, where):
    """Violations of a list of (name, value) pairs against a param table."""
    errors = []
    seen = {}
    for k, v in pairs:
        seen.setdefault(k, []).append(v)
    for k, vals in seen.items():
        p = spec_params.get(k)
        if p is None:
            errors.append("%s: unknown parameter %s" % (where, k))
            continue
        ptype = p.get("type")
        if ptype != "array" and len(vals) > 1:
            errors.append("%s: %s repeated %d times but is not an array" % (where, k, len(vals)))
        item = p.get("items", {}) if ptype == "array" else p
        itype = item.get("type", ptype if ptype != "array" else "string")
        allowed = item.get("enum") or p.get("enum")
        pattern = item.get("pattern") or p.get("pattern")
        for v in vals:
            if allowed is not None and v not in allowed:
                errors.append("%s: %s=%r not one of %s" % (where, k, v, allowed))
            if itype == "boolean" and v not in ("true", "false"):
                errors.append("%s: %s=%r is not a boolean (true/false)" % (where, k, v))
            if itype == "integer":
                if not re.fullmatch(r"-?[0-9]+", v):
                    errors.append("%s: %s=%r is not an integer" % (where, k, v))
                else:
                    n = int(v)
                    if "minimum" in p and n < p["minimum"]:
                        errors.append("%s: %s=%d below minimum %s" % (where, k, n, p["minimum"]))
                    if "maximum" in p and n > p["maximum"]:
                        errors.append("%s: %s=%d above maximum %s" % (where, k, n, p["maximum"]))
            if itype == "number":
                try:
                    float(v)
                except ValueError:
                    errors.append("%s: %s=%r is not a number" % (where, k, v))
            if pattern and not re.search(pattern, v):
                errors.append("%s: %s=%r does not match %s" % (where, k, v, pattern))
    for k, p in spec_params.items():
        if p.get("required") and k not in seen:
            errors.append("%s: missing required parameter %s" % (where, k))
    return errors


class FakeTwilio:
    def __init__(self, host="127.0.0.1", port=0):
        self.specs = _load_specs()
        self.routes = []
        for product, spec in self.specs.items():
            for template, entry in spec["paths"].items():
                self.routes.append(Route(product, template, entry))
        self.routes.sort(key=lambda r: -r.weight)
        self.schemas = {}
        for spec in self.specs.values():
            self.schemas.update(spec.get("schemas", {}))
        self.lock = threading.Lock()
        self.credentials = {}  # user -> (secret, account_sid)
        self.parents = {}  # subaccount sid -> parent sid
        self.requests = []
        self.programmed = []
        self.stalls = []
        # every violation ever seen, kept across reset() until taken: the
        # test fixtures fail a test whose server sent a request off the spec
        self.unexpected = []
        self._seq = 0
        self._resources_init()
        self.workspaces = {}  # sid -> Workspace (TaskRouter modelled)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://%s:%d" % (host, self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="fake-twilio", daemon=True)

    # -- set-up ----------------------------------------------------------

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def add_account(self, account_sid, auth_token, parent=None):
        """Accept Basic auth account_sid:auth_token (parent: owning account)."""
        with self.lock:
            self.credentials[account_sid] = (auth_token, account_sid)
            if parent:
                self.parents[account_sid] = parent

    def add_api_key(self, key_sid, secret, account_sid):
        """Accept Basic auth key_sid:secret acting for account_sid."""
        with self.lock:
            self.credentials[key_sid] = (secret, account_sid)

    def respond(self, method, path_regex, status, body=None, times=None, headers=None):
        """Answer requests matching method and path_regex (re.search) with
        status and body (dict/list → JSON, bytes/str as is).  times: how
        many requests to answer (None: all).  The newest rule wins."""
        rule = {
            "method": method.upper() if method else None,
            "rx": re.compile(path_regex),
            "status": status,
            "body": body,
            "times": times,
            "headers": headers or {},
        }
        with self.lock:
            self.programmed.insert(0, rule)
        return rule

    def stall(self, method, path_regex, seconds, times=1):
        """Hold the answer to matching requests for `seconds` after the
        request was handled (its effect on the state is done) and recorded;
        the returned threading.Event is set when one starts waiting, so a
        test can kill the client meanwhile."""
        rule = {"method": method.upper(), "rx": re.compile(path_regex), "seconds": seconds, "times": times,
                "started": threading.Event()}
        with self.lock:
            self.stalls.append(rule)
        return rule["started"]

    def _take_stall(self, method, path):
        with self.lock:
            for rule in self.stalls:
                if rule["method"] == method and rule["times"] > 0 and rule["rx"].search(path):
                    rule["times"] -= 1
                    return rule
        return None

    def reset(self):
        """Forget recorded requests, programmed responses and workspaces."""
        with self.lock:
            self.requests.clear()
            self.programmed.clear()
            self.stalls.clear()
            self.workspaces.clear()
        self._resources_reset()

    def add_workspace(self, ws):
        """Model TaskRouter for this Workspace: REST updates of its tasks
        and workers go through its rules (a refused one gets Twilio's error)."""
        with self.lock:
            self.workspaces[ws.sid] = ws
        return ws

    def take_unexpected(self):
        """Return and forget the violations seen since the last call (a test
        that provokes violations on purpose calls this before it ends)."""
        with self.lock:
            out, self.unexpected = self.unexpected, []
        return out

    @property
    def violations(self):
        with self.lock:
            return [(r.method, r.path, v) for r in self.requests for v in r.violations]

    def requests_to(self, method=None, path_regex=None):
        with self.lock:
            out = list(self.requests)
        return [r for r in out
                if (method is None or r.method == method.upper())
                and (path_regex is None or re.search(path_regex, r.path))]

    # -- request handling ------------------------------------------------

    def find_route(self, path):
        for r in self.routes:
            params = r.match(path)
            if params is not None:
                return r, params
        return None, None

    def _take_programmed(self, method, path):
        with self.lock:
            for rule in self.programmed:
                if rule["method"] not in (None, method):
                    continue
                if not rule["rx"].search(path):
                    continue
                if rule["times"] is not None:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                return rule
        return None

    def _authenticate(self, rec):
        """None when fine, else (status, error json)."""
        hdr = rec.headers.get("authorization", "")
        if not hdr.lower().startswith("basic "):
            rec.violations.append("auth: no HTTP Basic credentials")
            return 401, twilio_error(401, 20003, "Authenticate")
        try:
            user, _, secret = base64.b64decode(hdr[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            rec.violations.append("auth: malformed Basic credentials")
            return 401, twilio_error(401, 20003, "Authenticate")
        rec.auth_user = user
        with self.lock:
            cred = self.credentials.get(user)
        if cred is None or cred[0] != secret:
            rec.violations.append("auth: wrong credentials for %s" % user)
            return 401, twilio_error(401, 20003, "Authenticate")
        rec.auth_account = cred[1]
        return None

    def _account_allowed(self, auth_account, path_account):
        a = path_account
        while a:
            if a == auth_account:
                return True
            a = self.parents.get(a)
        return False

    def handle(self, method, raw_path, headers, body):
        """(status, headers, body bytes) for one request; records it."""
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        form = []
        ctype = headers.get("content-type", "")
        if body and method in ("POST", "PUT", "PATCH"):
            if ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                try:
                    form = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                                  strict_parsing=True, errors="strict")
                except (UnicodeDecodeError, ValueError) as e:
                    form = []
                    bad_form = str(e)
                else:
                    bad_form = None
            else:
                bad_form = "body is not application/x-www-form-urlencoded (Content-Type %r)" % ctype
        else:
            bad_form = None
        rec = Recorded(method, path, query, form, body, headers, None)
        with self.lock:
            self._seq += 1
            rec.seq = self._seq

        status, payload, extra = self._respond(rec, bad_form)
        rec.status = status
        # recorded once answered: a test never sees a request without status
        with self.lock:
            self.requests.append(rec)
            self.unexpected.extend((rec.method, rec.path, v) for v in rec.violations)
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode("utf-8")
            hdrs = {"Content-Type": "application/json; charset=utf-8"}
        elif payload is None:
            data = b""
            hdrs = {}
        else:
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            hdrs = {"Content-Type": "application/octet-stream"}
        hdrs.update(extra)
        hdrs["Twilio-Request-Id"] = "RQ" + hashlib.md5(str(rec.seq).encode()).hexdigest()
        return status, hdrs, data

    def _respond(self, rec, bad_form):
        denied = self._authenticate(rec)
        route, pparams = self.find_route(rec.path)
        op = route.methods.get(rec.method) if route else None
        if route:
            rec.product = route.product
            rec.path_params = pparams or {}
        if op:
            rec.operation = op.get("operationId")
        if denied is None and route and "AccountSid" in (pparams or {}):
            if not self._account_allowed(rec.auth_account, pparams["AccountSid"]):
                rec.violations.append("auth: %s may not act on account %s" % (rec.auth_user, pparams["AccountSid"]))
                denied = (401, twilio_error(401, 20003, "Authenticate"))
        if op is not None:
            self._validate(rec, op, bad_form)
        rule = self._take_programmed(rec.method, rec.path)
        if denied is not None:
            return denied[0], denied[1], {}
        if rule is not None:
            body = rule["body"]
            return rule["status"], body, rule["headers"]
        if route is None:
            rec.violations.append("path: %s is not in the Twilio spec extract" % rec.path)
            return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
        if op is None:
            rec.violations.append("method: %s not allowed on %s" % (rec.method, route.template))
            return 405, twilio_error(405, 20004, "Method not allowed"), {}
        bad_path = [v for v in rec.violations if v.startswith("path param")]
        if bad_path:
            return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
        if rec.violations:
            return 400, twilio_error(400, 20001, "; ".join(rec.violations)), {}
        held = self._resource_answer(rec, route, op)
        if held is None:
            held = self._resource_write(rec, route, op)
        if held is not None:
            return held
        with self.lock:
            ws = self.workspaces.get(rec.path_params.get("WorkspaceSid"))
        if ws is not None:
            refused = ws.rest(rec, route)
            if refused is not None:
                return refused[0], refused[1], {}
        return self._success(rec, route, op)

    def _validate(self, rec, op, bad_form):
        for name, p in op.get("path_params", {}).items():
            v = rec.path_params.get(name, "")
            if "pattern" in p and not re.search(p["pattern"], urllib.parse.unquote(v)):
                rec.violations.append("path param %s=%r does not match %s" % (name, v, p["pattern"]))
        if bad_form:
            rec.violations.append("form: " + bad_form)
        if rec.method in ("POST",) and "form_params" in op:
            rec.violations += check_params(op.get("form_params", {}), rec.form, "form")
            self._check_twiml(rec)
        elif rec.form:
            rec.violations.append("form: %s takes no form body" % rec.method)
        rec.violations += check_params(op.get("query_params", {}), rec.query, "query")

    @staticmethod
    def _check_twiml(rec):
        """A Twiml parameter (Calls create or update) becomes the call's
        document: checked as Twilio reads one (ramaltest.twiml_model)."""
        for name, value in rec.form:
            if name == "Twiml":
                try:
                    twiml_model.check(value, twiml_model.CALL)
                except twiml_model.TwimlError as e:
                    rec.violations.append("form: Twiml: %s" % e)

    # -- building answers ------------------------------------------------

    def _success(self, rec, route, op):
        codes = sorted(c for c in op.get("responses", {}) if c.startswith("2"))
        status = int(codes[0]) if codes else 200
        if status == 204:
            return 204, None, {}
        resp = op["responses"][codes[0]] if codes else {}
        schema = (resp or {}).get("schema") or {}
        return status, self.build(schema, rec, route), {}

    def _resolve(self, schema):
        if "ref" in schema and "properties" not in schema and schema["ref"] in self.schemas:
            return self.schemas[schema["ref"]]
        return schema

    def build(self, schema, rec, route, depth=0, field=None):
        """A JSON value shaped like `schema`, filled from the request."""
        schema = self._resolve(schema)
        if depth > 6:
            return None
        if "oneOf" in schema:
            return self.build(schema["oneOf"][0], rec, route, depth + 1, field)
        t = schema.get("type")
        if t == "object" or "properties" in schema:
            form = {}
            for k, v in rec.form:
                form.setdefault(_snake(k), v)
            out = {}
            props = schema.get("properties", {})
            for name, p in props.items():
                if p.get("type") == "array" and depth == 0:
                    out[name] = []  # list envelopes: empty page
                    continue
                out[name] = self.build(p, rec, route, depth + 1, name)
                if name in form and isinstance(out[name], str) and not p.get("enum") and not p.get("pattern"):
                    out[name] = form[name]
                elif name in form and p.get("pattern") and re.search(p["pattern"], form[name]):
                    out[name] = form[name]
                elif name in form and p.get("enum") and form[name] in p["enum"]:
                    out[name] = form[name]
            return out
        if t == "array":
            return []
        if "enum" in schema:
            return schema["enum"][0]
        if t == "boolean":
            return False
        if t == "integer":
            return 50 if field == "page_size" else 0
        if t == "number":
            return 0.0
        pattern = schema.get("pattern")
        if pattern:
            m = SID_RE.match(pattern)
            if m:
                return self._sid_for(m.group(1), rec, route, field, schema.get("nullable"))
            return ""
        fmt = schema.get("format")
        if schema.get("nullable") and field and (field.startswith("next_page") or field.startswith("previous_page")):
            return None  # a single page: clients must stop paginating
        now = datetime.datetime.now(datetime.timezone.utc)
        if fmt == "date-time-rfc-2822":
            return email.utils.format_datetime(now)
        if fmt == "date-time":
            return now.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "uri":
            return "https://example.invalid" + rec.path
        if fmt == "uri-map":
            return {}
        if t == "object":
            return {}
        return ""

    def _sid_for(self, prefix, rec, route, field, nullable=False):
        pp = rec.path_params
        # the instance's own sid comes from the path when it is there
        if field == "sid" and route.entry.get("path_type") == "instance":
            last = route.names[-1] if route.names else None
            if last and pp.get(last, "").startswith(prefix):
                return pp[last]
        for v in pp.values():
            if v.startswith(prefix) and len(v) == 34:
                if field != "sid" or route.entry.get("path_type") == "instance":
                    return v
        for k, v in rec.form:
            if v.startswith(prefix) and len(v) == 34 and _snake(k) == field:
                return v
        if prefix == "AC" and getattr(rec, "auth_account", None):
            return rec.auth_account
        if nullable and field != "sid":
            return None  # e.g. parent_call_sid of a new call
        h = hashlib.sha256(("%s:%s:%s:%d" % (prefix, rec.path, field, rec.seq)).encode()).hexdigest()
        return prefix + h[:32]


    # -- account resources (GETs from state a test sets) -----------------
    #
    # Kept apart from the rest of the fake on purpose.  A test puts
    # resources of an account here (add_resource) and GETs answer from
    # them, shaped by the spec's schema: GET /Accounts/{Sid}.json for every
    # account of add_account (status from set_account_status), TwiML Apps
    # and IncomingPhoneNumbers of any account (404 when not added), and
    # the TaskRouter objects and regulatory bundles of an account once a
    # test added one or called manage_taskrouter() (other accounts keep the
    # generic answers that test_provision programs).  Lists page by
    # PageSize/Page (page_size_cap makes pages smaller) and filter by
    # FriendlyName and PhoneNumber.  POSTs and DELETEs do not change this
    # state unless model_writes(account) was called for the account: then
    # buying a number (POST IncomingPhoneNumbers.json, from the numbers
    # add_available put up for sale, with Twilio's rules: 21422 when it is
    # not for sale, 21649 when a regulated number comes without an approved
    # bundle), updating a number, TwiML App, workspace or workflow (POST on
    # the instance; freeze() makes one field keep its value, as a Twilio
    # that ignores it would) and releasing a number (DELETE) change it.
    # API keys are Standard unless set_key_type() says "main": as at
    # Twilio, a Standard key may not use /Accounts or /Keys (a violation,
    # 401).

    RESOURCE_ROUTES = {
        # template: (kind = the list's key, SID prefix, instance path param)
        "/2010-04-01/Accounts/{AccountSid}/Applications.json": ("applications", "AP", None),
        "/2010-04-01/Accounts/{AccountSid}/Applications/{Sid}.json": ("applications", "AP", "Sid"),
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json": ("incoming_phone_numbers", "PN", None),
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json":
            ("incoming_phone_numbers", "PN", "Sid"),
        "/v1/Workspaces": ("workspaces", "WS", None),
        "/v1/Workspaces/{Sid}": ("workspaces", "WS", "Sid"),
        "/v1/Workspaces/{WorkspaceSid}/Activities": ("activities", "WA", None),
        "/v1/Workspaces/{WorkspaceSid}/Activities/{Sid}": ("activities", "WA", "Sid"),
        "/v1/Workspaces/{WorkspaceSid}/TaskQueues": ("task_queues", "WQ", None),
        "/v1/Workspaces/{WorkspaceSid}/TaskQueues/{Sid}": ("task_queues", "WQ", "Sid"),
        "/v1/Workspaces/{WorkspaceSid}/Workflows": ("workflows", "WW", None),
        "/v1/Workspaces/{WorkspaceSid}/Workflows/{Sid}": ("workflows", "WW", "Sid"),
        "/v1/Workspaces/{WorkspaceSid}/Workers": ("workers", "WK", None),
        "/v1/Workspaces/{WorkspaceSid}/Workers/{Sid}": ("workers", "WK", "Sid"),
        "/v2/RegulatoryCompliance/Bundles/{Sid}": ("bundles", "BU", "Sid"),
    }
    RESOURCE_PREFIX = {kind: prefix for kind, prefix, _ in RESOURCE_ROUTES.values()}
    TASKROUTER_KINDS = ("workspaces", "activities", "task_queues", "workflows", "workers")
    # kinds whose paths name no account: the credentials' account owns them
    AUTH_ACCOUNT_KINDS = TASKROUTER_KINDS + ("bundles",)
    AVAILABLE_KINDS = ("Local", "Mobile", "TollFree")
    LIST_FILTERS = {"FriendlyName": "friendly_name", "PhoneNumber": "phone_number"}

    def _resources_init(self):
        self.key_types = {}  # key sid -> "standard" | "main"; kept across reset()
        self._resources_reset()

    def _resources_reset(self):
        with self.lock:
            self._resources = {}  # account -> kind -> {sid: dict}
            self._tr_accounts = set()
            self._account_status = {}
            self.page_size_cap = None
            self._writable = set()  # accounts whose writes change the state
            self._frozen = set()  # (account, kind, sid, field)
            self._available = {}  # (country, kind) -> [dict]

    def set_key_type(self, key_sid, key_type):
        """"standard" (the default) or "main" (may use /Accounts and /Keys)."""
        assert key_type in ("standard", "main")
        with self.lock:
            self.key_types[key_sid] = key_type

    def set_account_status(self, account_sid, status):
        """What GET /Accounts/{Sid}.json says: active, suspended or closed."""
        with self.lock:
            self._account_status[account_sid] = status

    def manage_taskrouter(self, account_sid):
        """Answer this account's TaskRouter GETs from the state (404 for
        whatever was not added)."""
        with self.lock:
            self._tr_accounts.add(account_sid)

    def add_resource(self, account_sid, kind, fields=None, sid=None):
        """Put one resource of kind ("applications", "incoming_phone_numbers",
        "workspaces", "activities", "task_queues", "workflows", "workers";
        TaskRouter children need workspace_sid) on account_sid.  Returns the
        stored dict, fields as Twilio's JSON names them: change it and later
        GETs answer the change."""
        item = dict(fields or {})
        item["sid"] = sid or item.get("sid") or self.RESOURCE_PREFIX[kind] + secrets.token_hex(16)
        item["account_sid"] = account_sid
        if kind in self.TASKROUTER_KINDS[1:]:
            assert item.get("workspace_sid"), "%s need a workspace_sid" % kind
        with self.lock:
            self._resources.setdefault(account_sid, {}).setdefault(kind, {})[item["sid"]] = item
            if kind in self.AUTH_ACCOUNT_KINDS:
                self._tr_accounts.add(account_sid)
        return item

    def model_writes(self, account_sid):
        """Let POSTs and DELETEs on this account's numbers, TwiML Apps,
        workspaces and workflows change the state (see above)."""
        with self.lock:
            self._writable.add(account_sid)

    def freeze(self, account_sid, kind, sid, field):
        """Updates of this resource leave `field` (Twilio's JSON name) as
        it is, though Twilio answers 200: what a verification must catch."""
        with self.lock:
            self._frozen.add((account_sid, kind, sid, field))

    def add_available(self, phone_number, country="BR", kind="Local", regulated=None, **fields):
        """Put a number up for sale: AvailablePhoneNumbers/{country}/{kind}
        lists it (Contains filters with Twilio's meta-characters) and a
        modelled account may buy it.  regulated (default: outside US/CA)
        makes buying it need an approved BundleSid (error 21649)."""
        assert kind in self.AVAILABLE_KINDS
        item = {"phone_number": phone_number, "friendly_name": phone_number, "iso_country": country,
                "address_requirements": "none", "beta": False,
                "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False}}
        item.update(fields)
        item["_regulated"] = regulated if regulated is not None else country not in ("US", "CA")
        with self.lock:
            self._available.setdefault((country, kind), []).append(item)
        return item

    def add_bundle(self, account_sid, status="twilio-approved", sid=None):
        """A regulatory bundle of the account, as Numbers v2 shows it."""
        return self.add_resource(account_sid, "bundles", {"status": status, "friendly_name": "ramal test bundle",
                                                          "regulation_sid": "RN" + secrets.token_hex(16)}, sid=sid)

    def numbers(self, account_sid):
        """The account's IncomingPhoneNumbers as the state holds them."""
        with self.lock:
            return [dict(v) for v in self._resources.get(account_sid, {}).get("incoming_phone_numbers", {}).values()]

    def remove_resource(self, account_sid, kind, sid):
        with self.lock:
            del self._resources[account_sid][kind][sid]

    def resource(self, account_sid, kind, sid):
        """The stored dict (change it in place)."""
        with self.lock:
            return self._resources[account_sid][kind][sid]

    def _resource_answer(self, rec, route, op):
        """(status, body, headers) for a request the state answers, else None."""
        with self.lock:
            standard = (rec.auth_user or "").startswith("SK") and \
                self.key_types.get(rec.auth_user, "standard") == "standard"
        if standard and (route.template.startswith("/2010-04-01/Accounts.json")
                         or route.template == "/2010-04-01/Accounts/{Sid}.json"
                         or "/Keys" in route.template):
            rec.violations.append("auth: the Standard API key %s may not use %s (Twilio refuses it)"
                                  % (rec.auth_user, route.template))
            return 401, twilio_error(401, 20003, "Authenticate"), {}
        if rec.method != "GET":
            return None
        if route.template == "/2010-04-01/Accounts/{Sid}.json":
            return self._account_answer(rec, route, op)
        if "/AvailablePhoneNumbers/{CountryCode}/" in route.template:
            return self._available_answer(rec, route, op)
        spec = self.RESOURCE_ROUTES.get(route.template)
        if spec is None:
            return None
        kind, _, sid_param = spec
        pp = rec.path_params
        if kind in self.AUTH_ACCOUNT_KINDS:
            account = rec.auth_account
            with self.lock:
                if account not in self._tr_accounts:
                    return None
        else:
            account = pp["AccountSid"]
        with self.lock:
            held = self._resources.get(account, {})
            items = [dict(v) for v in held.get(kind, {}).values()]
            workspaces = set(held.get("workspaces", {}))
        if "WorkspaceSid" in pp:
            if pp["WorkspaceSid"] not in workspaces:
                return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
            items = [v for v in items if v.get("workspace_sid") == pp["WorkspaceSid"]]
        schema = self._resolve(op["responses"]["200"]["schema"])
        if sid_param is not None:
            hit = [v for v in items if v["sid"] == pp[sid_param]]
            if not hit:
                return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
            return 200, self._shaped(schema, rec, route, hit[0]), {}
        return 200, self._list_page(schema, rec, route, kind, items), {}

    @staticmethod
    def contains_regex(pattern):
        """Twilio's Contains pattern as a regex over the number's digits:
        a leading + anchors at the start (country code included), a
        trailing $ at the end, * is one character and % any run."""
        rx = ""
        if pattern.startswith("+"):
            rx, pattern = "^", pattern[1:]
        tail = ""
        if pattern.endswith("$"):
            tail, pattern = "$", pattern[:-1]
        for c in pattern:
            rx += "." if c == "*" else ".*" if c == "%" else re.escape(c)
        return re.compile(rx + tail)

    def _available_answer(self, rec, route, op):
        """Numbers for sale from add_available; None (the generic empty
        page) when the test put none up in that country and kind."""
        country = rec.path_params["CountryCode"]
        kind = route.template.rsplit("/", 1)[1][:-len(".json")]
        with self.lock:
            if (country, kind) not in self._available:
                return None
            items = [dict(v) for v in self._available[(country, kind)]]
        query = dict(rec.query)
        if "Contains" in query:
            rx = self.contains_regex(query["Contains"])
            items = [v for v in items if rx.search(v["phone_number"].lstrip("+"))]
        if query.get("VoiceEnabled") == "true":
            items = [v for v in items if v["capabilities"].get("voice")]
        items = items[:int(query.get("PageSize", 50))]
        schema = self._resolve(op["responses"]["200"]["schema"])
        item_schema = self._resolve(schema["properties"]["available_phone_numbers"]["items"])
        out = self.build(schema, rec, route)
        out["available_phone_numbers"] = [
            self._shaped(item_schema, rec, route, {k: v for k, v in i.items() if not k.startswith("_")})
            for i in items]
        out.update(uri=rec.path, first_page_uri=rec.path, next_page_uri=None, previous_page_uri=None,
                   page=0, page_size=len(items), start=0, end=max(len(items) - 1, 0))
        return 200, out, {}

    # -- writes (model_writes) ---------------------------------------------

    def _resource_write(self, rec, route, op):
        """(status, body, headers) for a write the state models, else None."""
        if rec.method not in ("POST", "DELETE"):
            return None
        pp = rec.path_params
        if route.template == "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json":
            if rec.method == "POST" and self._writes(pp["AccountSid"]):
                return self._buy(rec, route, op)
            return None
        spec = self.RESOURCE_ROUTES.get(route.template)
        if spec is None or spec[2] is None:
            return None
        kind, _, sid_param = spec
        account = rec.auth_account if kind in self.AUTH_ACCOUNT_KINDS else pp["AccountSid"]
        if kind not in ("incoming_phone_numbers", "applications", "workspaces", "workflows") \
                or not self._writes(account):
            return None
        sid = pp[sid_param]
        with self.lock:
            item = self._resources.get(account, {}).get(kind, {}).get(sid)
            if item is None:
                return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
            if rec.method == "DELETE":
                if kind != "incoming_phone_numbers":
                    return None
                del self._resources[account][kind][sid]
                return 204, None, {}
            for k, v in rec.form:
                field = _snake(k)
                if (account, kind, sid, field) not in self._frozen:
                    item[field] = v
            current = dict(item)
        codes = sorted(c for c in op.get("responses", {}) if c.startswith("2"))
        schema = self._resolve(op["responses"][codes[0]]["schema"])
        return int(codes[0]), self._shaped(schema, rec, route, current), {}

    def _writes(self, account):
        with self.lock:
            return account in self._writable

    def _buy(self, rec, route, op):
        """POST IncomingPhoneNumbers.json on a modelled account."""
        account = rec.path_params["AccountSid"]
        form = dict(rec.form)
        number = form.get("PhoneNumber")
        if number is None:
            return 400, twilio_error(400, 21452, "No phone numbers found: give PhoneNumber"), {}
        with self.lock:
            found = None
            for key, items in self._available.items():
                for i in items:
                    if i["phone_number"] == number:
                        found = (key, i)
            if found is None:
                return 400, twilio_error(400, 21422, "PhoneNumber %s is not available" % number), {}
            (country, kind), offer = found
            bundle = form.get("BundleSid")
            if offer["_regulated"]:
                if bundle is None:
                    return 400, twilio_error(400, 21649, "Phone number %s requires an approved regulatory "
                                             "Bundle (BundleSid)" % number), {}
                held = self._resources.get(account, {}).get("bundles", {}).get(bundle)
                if held is None or held.get("status") != "twilio-approved":
                    return 400, twilio_error(400, 21649, "Bundle %s is not twilio-approved for %s"
                                             % (bundle, number)), {}
            self._available[(country, kind)].remove(offer)
        fields = {"phone_number": number, "friendly_name": form.get("FriendlyName", number),
                  "voice_method": "POST", "voice_fallback_method": "POST", "status_callback_method": "POST",
                  "voice_url": None, "voice_fallback_url": None, "status_callback": None,
                  "voice_application_sid": None, "trunk_sid": None, "bundle_sid": None, "address_sid": None,
                  "capabilities": offer["capabilities"], "status": "in-use", "origin": "twilio"}
        for k, v in rec.form:
            fields[_snake(k)] = v
        item = self.add_resource(account, "incoming_phone_numbers", fields)
        schema = self._resolve(op["responses"]["201"]["schema"])
        return 201, self._shaped(schema, rec, route, dict(item)), {}

    def _account_answer(self, rec, route, op):
        sid = rec.path_params["Sid"]
        with self.lock:
            allowed = self._account_allowed(rec.auth_account, sid)
            cred = self.credentials.get(sid)
            status = self._account_status.get(sid, "active")
            parent = self.parents.get(sid)
        if not allowed:
            rec.violations.append("auth: %s may not read account %s" % (rec.auth_user, sid))
            return 401, twilio_error(401, 20003, "Authenticate"), {}
        if cred is None:
            return 404, twilio_error(404, 20404, "The requested resource %s was not found" % rec.path), {}
        schema = self._resolve(op["responses"]["200"]["schema"])
        fields = {"sid": sid, "status": status, "auth_token": cred[0], "owner_account_sid": parent or sid,
                  "friendly_name": sid, "type": "Full"}
        return 200, self._shaped(schema, rec, route, fields), {}

    def _shaped(self, schema, rec, route, item):
        out = self.build(schema, rec, route)
        out.update(item)
        return out

    def _list_page(self, schema, rec, route, kind, items):
        query = dict(rec.query)
        for param, field in self.LIST_FILTERS.items():
            if param in query:
                items = [v for v in items if v.get(field) == query[param]]
        size = int(query.get("PageSize", 50))
        if self.page_size_cap:
            size = min(size, self.page_size_cap)
        page = int(query.get("Page", 0))
        chunk = items[page * size:(page + 1) * size]
        more = len(items) > (page + 1) * size
        item_schema = self._resolve(schema["properties"][kind]["items"])

        def link(p):
            keep = [(k, v) for k, v in rec.query if k not in ("PageSize", "Page", "PageToken")]
            keep += [("PageSize", str(size)), ("Page", str(p))]
            if p > 0:
                keep.append(("PageToken", "PT%d" % p))
            return rec.path + "?" + urllib.parse.urlencode(keep)

        out = self.build(schema, rec, route)
        out[kind] = [self._shaped(item_schema, rec, route, v) for v in chunk]
        if route.product == "api_v2010":
            out.update(page=page, page_size=size, start=page * size, end=page * size + max(len(chunk) - 1, 0),
                       uri=link(page), first_page_uri=link(0),
                       next_page_uri=link(page + 1) if more else None,
                       previous_page_uri=link(page - 1) if page > 0 else None)
        else:
            out["meta"] = {"first_page_url": self.url + link(0), "key": kind,
                           "next_page_url": self.url + link(page + 1) if more else None,
                           "page": page, "page_size": size,
                           "previous_page_url": self.url + link(page - 1) if page > 0 else None,
                           "url": self.url + link(page)}
        return out
# --------------------------------------------------------------------------
# TaskRouter: a workspace's tasks, reservations and workers with the states
# and rules Twilio documents (docs/twilio-behaviour.md, "TaskRouter").  The
# REST requests on a workspace registered with FakeTwilio.add_workspace()
# change it; ramaltest.taskrouter plays the callbacks and calls around it.


class TaskRouterError(Exception):
    """What TaskRouter or Voice reports when a step breaks a rule."""

    def __init__(self, code, message, status=400):
        super().__init__("%d: %s" % (code, message))
        self.code = code
        self.status = status
        self.message = message


TASK_STATES = ("pending", "reserved", "assigned", "wrapping", "completed", "canceled")
RESERVATION_STATES = ("pending", "accepted", "rejected", "timeout", "canceled", "rescinded", "wrapping",
                      "completed")


def _sid(prefix):
    return prefix + os.urandom(16).hex()


class Workspace:
    """One TaskRouter workspace, single-tasking voice: each worker has a
    voice capacity of 1, held by a task from its reservation until the task
    is completed or canceled (an accepted reservation keeps it through
    wrapping).  Thread-safe (the fake's HTTP threads and the test)."""

    def __init__(self, sid=None, workflow_sid=None):
        self.sid = sid or _sid("WS")
        self.workflow_sid = workflow_sid or _sid("WW")
        self.queue_sid = _sid("WQ")
        self.lock = threading.RLock()
        self.workers = {}  # sid -> dict(attributes, available, activity)
        self.tasks = {}  # sid -> dict(status, attributes, reason, worker)
        self.reservations = {}  # sid -> dict(status, task, worker, accepted_by)
        self.errors = []  # TaskRouterError raised by any step, in order
        self.activities = {name: _sid("WA") for name in ("Available", "Busy", "Wrap-up", "Offline")}

    # -- workers -------------------------------------------------------

    def add_worker(self, attributes, activity="Available", sid=None):
        with self.lock:
            wk = sid or _sid("WK")
            self.workers[wk] = {"attributes": dict(attributes), "activity": activity}
            return wk

    def set_activity(self, wk, activity_sid, reject_pending=False):
        with self.lock:
            names = {v: k for k, v in self.activities.items()}
            if wk not in self.workers:
                raise TaskRouterError(20404, "worker %s not found" % wk, 404)
            if activity_sid not in names:
                raise TaskRouterError(20001, "activity %s not found" % activity_sid)
            self.workers[wk]["activity"] = names[activity_sid]
            if reject_pending:
                for rid, r in self.reservations.items():
                    if r["worker"] == wk and r["status"] == "pending":
                        self._end_reservation(rid, "rejected")

    def capacity_taken(self, wk):
        """The tasks holding the worker's voice capacity (of 1)."""
        with self.lock:
            return [r["task"] for r in self.reservations.values()
                    if r["worker"] == wk and r["status"] in ("pending", "accepted", "wrapping")]

    def can_take(self, wk):
        with self.lock:
            w = self.workers[wk]
            return w["activity"] == "Available" and not self.capacity_taken(wk)

    # -- tasks and reservations ----------------------------------------

    def create_task(self, attributes):
        with self.lock:
            wt = _sid("WT")
            self.tasks[wt] = {"status": "pending", "attributes": dict(attributes), "reason": None,
                              "worker": None, "offered": []}
            return wt

    def eligible(self, wt):
        """Workers the workflow ramal provisions would offer the task to
        now: a task naming dedicated_agent goes first to the worker with
        that identity (the filter "dedicated agent, then the team"); the
        step's 20 s timeout is not modelled, a test calls route(skip_dedicated=True)."""
        with self.lock:
            t = self.tasks[wt]
            want = t["attributes"].get("dedicated_agent")
            out = []
            for wk, w in self.workers.items():
                if want and w["attributes"].get("identity") != want:
                    continue
                out.append(wk)
            return out

    def route(self, wt, skip_dedicated=False):
        """Reserve the first eligible worker with free capacity: the new
        reservation's sid, or None (the task keeps waiting)."""
        with self.lock:
            t = self.tasks[wt]
            if t["status"] != "pending":
                return None
            dedicated = not skip_dedicated and bool(t["attributes"].get("dedicated_agent"))
            pool = self.eligible(wt) if dedicated else list(self.workers)
            for wk in pool:
                if self.can_take(wk):
                    wr = _sid("WR")
                    self.reservations[wr] = {"status": "pending", "task": wt, "worker": wk, "accepted_by": None,
                                             "step": "dedicated" if dedicated else "team"}
                    t["status"] = "reserved"
                    t["offered"].append(wk)
                    return wr
            return None

    def _end_reservation(self, wr, status):
        r = self.reservations[wr]
        r["status"] = status
        t = self.tasks[r["task"]]
        if t["status"] == "reserved" and status in ("rejected", "timeout", "canceled", "rescinded"):
            t["status"] = "pending"

    def accept(self, wr, by):
        """Accept a pending reservation (by: "instruction", "rest" or
        "dial-queue").  Accepting it a second time is error 14215 when the
        second place is <Dial><Queue reservationSid>, else 40114."""
        with self.lock:
            r = self.reservations.get(wr)
            if r is None:
                err = TaskRouterError(14217, "Dial->Queue: could not find reservation %s" % wr)
            elif r["status"] != "pending":
                if by == "dial-queue":
                    err = TaskRouterError(14215, "Dial->Queue: reservation %s is %s (accepted by %s): "
                                          "do not accept the same Reservation in both places"
                                          % (wr, r["status"], r["accepted_by"]))
                else:
                    err = TaskRouterError(40114, "the Reservation must currently be pending (it is %s)"
                                          % r["status"])
            else:
                r["status"] = "accepted"
                r["accepted_by"] = by
                t = self.tasks[r["task"]]
                t["status"] = "assigned"
                t["worker"] = r["worker"]
                return
            self.errors.append(err)
            raise err

    def timeout(self, wr):
        with self.lock:
            if self.reservations[wr]["status"] == "pending":
                self._end_reservation(wr, "timeout")

    def update_task(self, wt, status, reason=None):
        """The REST update of AssignmentStatus, by Twilio's rules: an
        assigned task goes to wrapping or completed (never canceled), a
        wrapping one to completed; a pending or reserved one may only be
        canceled; a finished one does not move."""
        with self.lock:
            t = self.tasks.get(wt)
            if t is None:
                raise TaskRouterError(20404, "task %s not found" % wt, 404)
            cur = t["status"]
            allowed = {
                "pending": ("canceled",),
                "reserved": ("canceled",),
                "assigned": ("wrapping", "completed"),
                "wrapping": ("completed",),
            }.get(cur, ())
            if status != cur and status not in allowed:
                err = TaskRouterError(20001, "cannot move task %s from %s to %s" % (wt, cur, status))
                self.errors.append(err)
                raise err
            t["status"] = status
            if reason:
                t["reason"] = reason
            for wr, r in self.reservations.items():
                if r["task"] != wt:
                    continue
                if status == "canceled" and r["status"] == "pending":
                    r["status"] = "canceled"
                elif status in ("wrapping", "completed") and r["status"] in ("accepted", "wrapping"):
                    r["status"] = status
            return dict(t)

    def task(self, wt):
        with self.lock:
            return dict(self.tasks[wt])

    def reservation(self, wr):
        with self.lock:
            return dict(self.reservations[wr])

    # -- REST ------------------------------------------------------------

    def rest(self, rec, route):
        """(status, body) for a request on this workspace, or None to let
        the generic answer do."""
        t = route.template
        pp = rec.path_params
        form = dict(rec.form)
        try:
            if t.endswith("/Tasks/{Sid}") and rec.method == "POST":
                if "AssignmentStatus" in form:
                    self.update_task(pp["Sid"], form["AssignmentStatus"], form.get("Reason"))
                return None
            if t.endswith("/Workers/{Sid}") and rec.method == "POST" and "ActivitySid" in form:
                self.set_activity(pp["Sid"], form["ActivitySid"],
                                  form.get("RejectPendingReservations") == "true")
                return None
        except TaskRouterError as e:
            return e.status, twilio_error(e.status, e.code, e.message)
        return None


class _Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = "HTTP/1.1"
    server_version = "FakeTwilio/1.0"

    def log_message(self, fmt, *args):  # keep pytest output clean
        pass

    def _do(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, hdrs, data = self.fake.handle(self.command, self.path, headers, body)
        stall = self.fake._take_stall(self.command, urllib.parse.urlsplit(self.path).path)
        if stall is not None:
            stall["started"].set()
            time.sleep(stall["seconds"])
        try:
            self.send_response(status)
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (killed)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _do


def _local_env(name):
    """NAME from the environment, else from var/local.env (`make run`)."""
    if os.environ.get(name):
        return os.environ[name]
    try:
        with open("var/local.env") as f:
            vals = [ln.split("=", 1)[1].strip() for ln in f if ln.startswith(name + "=")]
        return vals[-1] if vals else None
    except OSError:
        return None


def main():
    """Serve the fake on loopback for a local server's jobs (README:
    `ramal simulate hold`): python3 tests/py/ramaltest/fake_twilio.py [PORT]."""
    import sys
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
    account, token = _local_env("TWILIO_ACCOUNT_SID"), _local_env("TWILIO_AUTH_TOKEN")
    if not account or not token:
        sys.exit("fake_twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or run from the "
                 "directory of `make run`)")
    fake = FakeTwilio(port=port)
    fake.add_account(account, token)
    fake.start()
    print("fake Twilio API on %s for %s (Ctrl-C stops it)" % (fake.url, account), flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for q in list(fake.requests)[seen:]:
                print("%s %s -> %s %s" % (q.method, q.path, q.status, "; ".join(q.violations)), flush=True)
            seen = len(fake.requests)
    except KeyboardInterrupt:
        fake.close()


if __name__ == "__main__":
    main()
