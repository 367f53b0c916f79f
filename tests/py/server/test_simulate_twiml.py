"""How `ramal simulate` reads the TwiML it gets (libxml2, src/cli/simulate.c).

A stand-in server on loopback answers the first voice webhook with a
chosen document and records every request; simulate follows what it can
read and refuses a document that declares entities (a DOCTYPE), so an
answer can neither make it read a local file nor expand entities.
"""

import http.server
import secrets
import threading

import pytest

from ramaltest import harness

BASE_URL = "https://ramal.example"
SECRET_FILE_TEXT = "never-leaves-the-machine-" + secrets.token_hex(8)


class TwimlServer:
    """Answers POSTs from a {path: TwiML} map (anything else: an empty
    <Response/>), remembering (path, body) of each."""

    def __init__(self, pages):
        self.pages = pages
        self.requests = []
        twiml_server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                twiml_server.requests.append((self.path, self.rfile.read(n).decode()))
                body = twiml_server.pages.get(self.path, "<Response/>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def paths(self):
        return [p for p, _ in self.requests]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "secret.txt"
    p.write_text(SECRET_FILE_TEXT)
    return p


def simulate(pages):
    twiml_server = TwimlServer(pages)
    try:
        env = {"TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
               "TWILIO_AUTH_TOKEN": secrets.token_hex(16), "BASE_URL": BASE_URL}
        r = harness.run_cli(["simulate", "inbound", "--to", "+551130000000",
                             "--from", "+5511987654321", "--url", twiml_server.url], env, timeout=30)
    finally:
        twiml_server.close()
    return r, twiml_server


def test_redirects_entities_comments_and_cdata_are_read():
    r, twiml_server = simulate({
        "/twilio/voice/inbound":
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Response><!-- a comment --><Say>Ol&#225;</Say>"
            "<Redirect>/step?a=1&amp;b=2</Redirect></Response>",
        "/step?a=1&b=2": "<Response><Redirect><![CDATA[/cdata?x=1]]></Redirect></Response>",
        "/cdata?x=1": "<Response><Hangup/></Response>",
    })
    assert r.returncode == 0, r.stdout + r.stderr
    assert twiml_server.paths()[:3] == ["/twilio/voice/inbound", "/step?a=1&b=2", "/cdata?x=1"]
    assert "not TwiML" not in r.stdout


@pytest.mark.parametrize("kind", ["external", "parameter", "laughs", "undefined"])
def test_entities_are_refused(secret_file, kind):
    if kind == "external":
        doc = ('<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY x SYSTEM "file://%s">]>'
               "<Response><Redirect>/leak?&x;</Redirect></Response>" % secret_file)
    elif kind == "parameter":
        doc = ('<!DOCTYPE Response [<!ENTITY %% p SYSTEM "file://%s"> %%p;]>'
               "<Response><Redirect>/leak</Redirect></Response>" % secret_file)
    elif kind == "laughs":
        ents = ['<!ENTITY l0 "lol">'] + ['<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10)
                                         for i in range(1, 10)]
        doc = ("<!DOCTYPE Response [%s]><Response><Redirect>/leak?&l9;</Redirect></Response>"
               % "".join(ents))
    else:
        doc = "<Response><Redirect>/leak?&nope;</Redirect></Response>"
    r, twiml_server = simulate({"/twilio/voice/inbound": doc})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not TwiML: the call ends" in r.stdout
    assert not any(p.startswith("/leak") for p in twiml_server.paths()), twiml_server.paths()
    assert SECRET_FILE_TEXT not in r.stdout + r.stderr + "".join(b for _, b in twiml_server.requests)
    # the call still ends with its final status callback
    assert twiml_server.paths()[-1] == "/twilio/status"


def test_not_xml_ends_the_call():
    r, twiml_server = simulate({"/twilio/voice/inbound": "<Response><Say>unclosed</Response>"})
    assert r.returncode == 1
    assert "not TwiML: the call ends" in r.stdout
    assert twiml_server.paths() == ["/twilio/voice/inbound", "/twilio/status"]
