"""Our TwiML builder against Twilio's own (twilio.twiml.voice_response).

tests/tools/twiml_cases prints documents built with src/twilio/twiml.c; each is
rebuilt here with Twilio's Python library and both are compared as XML
trees (tag, attributes, text and tail exactly, children in order).  The
cases the old, strict Twilio XSD understands are also validated against it
with xmllint.
"""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ramaltest import harness, twiml_model

REPO = Path(harness.REPO)
XSD = REPO / "tests" / "twiml" / "twiml.xsd"
DECL = '<?xml version="1.0" encoding="UTF-8"?>'
BASE = "https://ramal.example.com/twilio"
TOOL = "twiml_cases"
LEAVES = ["src/lib/buf.c", "src/lib/mem.c", "src/lib/util.c", "src/twilio/twiml.c"]


# --------------------------------------------------------------------------
# The same documents, built with Twilio's library.


def py_say_ptbr():
    r = VoiceResponse()
    r.say(
        "Olá! Esta ligação será gravada & \"monitorada\" <para> garantir a "
        "qualidade — São Paulo, João d'Ávila.",
        language="pt-BR",
        voice="Polly.Camila",
    )
    return r


def py_play_loop():
    r = VoiceResponse()
    r.play("https://cdn.example.com/hold.mp3?a=1&b=2", loop=0)
    return r


def py_dial_client_number():
    r = VoiceResponse()
    d = r.dial(
        action=BASE + "/voice/overflow?line=1&try=2",
        timeout=20,
        answer_on_bridge=True,
        record="record-from-answer-dual",
        recording_status_callback=BASE + "/recording",
        caller_id="+551130000000",
    )
    # 7.7 turns a list into its repr(); the attribute is space-separated.
    c = d.client(
        url=BASE + "/voice/whisper?agent=agent_1",
        status_callback=BASE + "/status",
        status_callback_event=" ".join(
            ["initiated", "ringing", "answered", "completed"]),
    )
    c.identity("agent_1")
    d.number("+5511987654321", url=BASE + "/voice/whisper?agent=agent_2")
    return r


def py_dial_number():
    r = VoiceResponse()
    d = r.dial(action=BASE + "/voice/overflow", timeout=20,
               caller_id="+551130000000")
    d.number("+5511987654321", url=BASE + "/voice/whisper")
    return r


def py_enqueue_task():
    r = VoiceResponse()
    e = r.enqueue(
        workflow_sid="WW0123456789abcdef0123456789abcdef",
        action=BASE + "/voice/queue-exit",
        wait_url=BASE + "/voice/queue-wait",
    )
    e.task('{"json":"with \\"quotes\\" & <tags>"}')
    return r


def py_record():
    r = VoiceResponse()
    r.record(max_length=120, finish_on_key="#",
             action=BASE + "/voice/voicemail?step=done", play_beep=True)
    return r


def py_voicemail():
    r = VoiceResponse()
    r.say("Please leave a message after the beep.", language="en")
    r.record(max_length=120, finish_on_key="#",
             action=BASE + "/voice/voicemail", play_beep=True)
    r.hangup()
    return r


def py_hangup():
    r = VoiceResponse()
    r.hangup()
    return r


def py_redirect():
    r = VoiceResponse()
    r.redirect(BASE + "/voice/queue-wait?n=1&m=2", method="POST")
    return r


def py_pause():
    r = VoiceResponse()
    r.pause(length=2)
    return r


def py_empty():
    return VoiceResponse()


PY_CASES = {
    "say_ptbr": py_say_ptbr,
    "play_loop": py_play_loop,
    "dial_client_number": py_dial_client_number,
    "dial_number": py_dial_number,
    "enqueue_task": py_enqueue_task,
    "record": py_record,
    "voicemail": py_voicemail,
    "hangup": py_hangup,
    "redirect": py_redirect,
    "pause": py_pause,
    "empty": py_empty,
}

# What the 2015-era XSD can describe as it is.  It knows no Polly voices, no pt-BR,
# no answerOnBridge, no <Client><Identity>, and types Dial's record as a
# boolean, so say_ptbr and dial_client_number are checked by tree only.
XSD_CASES = ["play_loop", "dial_number", "enqueue_task", "record",
             "voicemail", "hangup", "redirect", "pause", "empty"]


# --------------------------------------------------------------------------
# Running our tool


def _build_tool(dest):
    """Compile the tool from the leaf sources (when no build is at hand)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler to build %s, and no built one" % TOOL)
    out = dest / TOOL
    cmd = [cc, "-std=c11", "-D_GNU_SOURCE", "-I", str(REPO / "include" / "lib"),
           "-I", str(REPO / "include" / "twilio"),
           "-O1", "-o", str(out), str(REPO / "tests" / "tools" / (TOOL + ".c"))]
    cmd += [str(REPO / s) for s in LEAVES] + ["-lcrypto"]
    subprocess.run(cmd, check=True)
    return out


@pytest.fixture(scope="module")
def twiml_tool(tmp_path_factory):
    tools = os.environ.get("RAMAL_TOOLS")
    if tools:
        path = Path(tools) / TOOL
        if not path.is_file():
            pytest.fail("RAMAL_TOOLS=%s has no %s (make tools)" % (tools, TOOL))
        return path
    path = REPO / "build" / "tools" / TOOL
    if path.is_file():
        return path
    return _build_tool(tmp_path_factory.mktemp("tools"))


@pytest.fixture(scope="module")
def our_docs(twiml_tool):
    res = subprocess.run([str(twiml_tool)], check=True, capture_output=True)
    out = res.stdout.decode("utf-8")  # must be valid UTF-8
    docs = {}
    name = None
    for line in out.split("\n"):
        if line.startswith("=== "):
            name = line[4:]
            assert name not in docs, "case %s printed twice" % name
            docs[name] = None
        elif line:
            assert name is not None and docs[name] is None, line
            docs[name] = line
    assert all(v is not None for v in docs.values()), docs
    return docs


# --------------------------------------------------------------------------
# Comparing


def _diff(a, b, path):
    """First difference between two elements, or None."""
    here = path + "/" + a.tag
    if a.tag != b.tag:
        return "%s: tag %r != %r" % (path, a.tag, b.tag)
    if a.attrib != b.attrib:
        return "%s: attributes %r != %r" % (here, a.attrib, b.attrib)
    if (a.text or "") != (b.text or ""):
        return "%s: text %r != %r" % (here, a.text, b.text)
    if (a.tail or "") != (b.tail or ""):
        return "%s: tail %r != %r" % (here, a.tail, b.tail)
    if len(a) != len(b):
        return "%s: %d children != %d" % (here, len(a), len(b))
    for x, y in zip(a, b):
        d = _diff(x, y, here)
        if d:
            return d
    return None


def test_same_cases(our_docs):
    assert sorted(our_docs) == sorted(PY_CASES)


@pytest.mark.parametrize("case", sorted(PY_CASES))
def test_matches_twilio_library(our_docs, case):
    ours = our_docs[case]
    theirs = PY_CASES[case]().to_xml()
    assert ours.startswith(DECL)
    assert theirs.startswith(DECL)
    a = ET.fromstring(ours.encode("utf-8"))
    b = ET.fromstring(theirs.encode("utf-8"))
    assert a.tag == "Response"
    d = _diff(a, b, "")
    assert d is None, "%s\n ours:   %s\n twilio: %s" % (d, ours, theirs)


def test_compare_can_fail():
    """The comparison notices a changed attribute, text or child."""
    base = ET.fromstring(py_dial_client_number().to_xml())
    for mutate in (
        lambda r: r[0].set("timeout", "21"),
        lambda r: r[0][0].find("Identity").__setattr__("text", "agent_2"),
        lambda r: r[0].remove(r[0][1]),
        lambda r: r[0][1].__setattr__("tail", " "),
    ):
        other = ET.fromstring(py_dial_client_number().to_xml())
        mutate(other)
        assert _diff(base, other, "") is not None


def _xmllint(path):
    return subprocess.run(
        ["xmllint", "--noout", "--schema", str(XSD), str(path)],
        capture_output=True, text=True)


@pytest.fixture(scope="module")
def xmllint():
    # scripts/deps.sh installs libxml2-utils for `make test`: never skip.
    assert shutil.which("xmllint") is not None, "xmllint missing: run scripts/deps.sh test"


@pytest.mark.parametrize("case", XSD_CASES)
def test_valid_against_xsd(our_docs, xmllint, tmp_path, case):
    f = tmp_path / (case + ".xml")
    f.write_text(our_docs[case] + "\n", encoding="utf-8")
    res = _xmllint(f)
    assert res.returncode == 0, res.stderr


def test_xsd_is_strict(our_docs, xmllint, tmp_path):
    """The schema does reject what it does not know (so the above can fail)."""
    for case in ("say_ptbr", "dial_client_number"):
        f = tmp_path / (case + ".xml")
        f.write_text(our_docs[case] + "\n", encoding="utf-8")
        assert _xmllint(f).returncode != 0, case


@pytest.mark.parametrize("case", sorted(PY_CASES))
def test_every_case_is_a_call_document_twilio_accepts(our_docs, case):
    """All of them, the ones the 2015 schema cannot read included, against
    the TwiML model (its schema relaxed where Twilio accepts more today,
    docs/twilio-behaviour.md "TwiML by context")."""
    twiml_model.check(our_docs[case], twiml_model.CALL)
