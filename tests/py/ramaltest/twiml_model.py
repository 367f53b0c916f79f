"""TwiML as Twilio reads it, by the context it is fetched in.

check(doc, context) raises TwimlError, with the error code Twilio
documents, where real Twilio would refuse the document or ignore part of
it; links(root, context) lists the URLs a document gives and the context
Twilio fetches each of them in.  ramaltest.voice maps each of ramal's
routes to its context and runs every answer a test receives through
check(); docs/twilio-behaviour.md ("TwiML by context") lists every rule
with the Twilio page it comes from.

The contexts:

CALL           a call's own document: the number's VoiceUrl, the action of
               <Dial>/<Enqueue>/<Record>/<Gather>, a <Redirect>, the url
               of a TaskRouter `call` instruction, the Calls API's Twiml
CALLED_PARTY   the url of a <Number> or <Client>: runs on the called
               party after it answers, before the bridge (a whisper)
ENQUEUE_WAIT   the waitUrl of <Enqueue>: runs while the caller waits
CONFERENCE_HOLD  the HoldUrl of a conference participant (also a
               conference's waitUrl and announceUrl)
QUEUE_URL      the url of <Dial><Queue>: runs on the queued caller
               before the bridge
CALLBACK       a status callback: Twilio ignores the answer (it is only
               parsed here)

The checks run in this order, so the most specific code wins: XML and
root (12100), known verbs (12200), verbs of the context, nesting,
attribute values, then Twilio's XML schema (tests/twiml/twiml.xsd) with
the relaxations below (12200).  Several of these codes are warnings in
Twilio's debugger: the call goes on, but the element or attribute is
ignored, so what it was meant to do does not happen; the model fails the
test on them all.
"""

import copy
import json
import os
import re

from lxml import etree

CALL = "call"
CALLED_PARTY = "called-party"
ENQUEUE_WAIT = "enqueue-wait"
CONFERENCE_HOLD = "conference-hold"
QUEUE_URL = "queue-url"
CALLBACK = "callback"

CONTEXTS = {
    CALL: "a call's document (VoiceUrl, an action, a Redirect, a call instruction's url)",
    CALLED_PARTY: "a <Number url>/<Client url> document (the called party, before the bridge)",
    ENQUEUE_WAIT: "the waitUrl document of <Enqueue> (the caller waiting in the queue)",
    CONFERENCE_HOLD: "a HoldUrl document (a held conference participant)",
    QUEUE_URL: "a <Dial><Queue url> document (the queued caller, before the bridge)",
    CALLBACK: "the answer to a status callback (ignored by Twilio)",
}

XSD_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "twiml", "twiml.xsd")

DOCS = "https://www.twilio.com/docs"


class Rule:
    def __init__(self, code, title, source):
        self.code = code  # Twilio's error code, None when Twilio documents none
        self.title = title
        self.source = source


# name -> Rule.  A rule whose code is None is either documented by Twilio
# without an error code, or ramal's own (its title says "ramal:").
RULES = {
    "parse": Rule(12100, "Document parse failure", DOCS + "/api/errors/12100"),
    "root": Rule(12100, "Document parse failure (the root element is not <Response>)",
                 DOCS + "/api/errors/12100"),
    "unknown-verb": Rule(12200, "Schema validation warning (misspelled or unknown verb)",
                         DOCS + "/api/errors/12200"),
    "schema": Rule(12200, "Schema validation warning", DOCS + "/api/errors/12200"),
    "called-party-dial": Rule(13201, "Dial: Cannot Dial out from a Dial Call Segment",
                              DOCS + "/api/errors/13201"),
    "called-party-enqueue": Rule(None, "ramal: a called party (an agent, a callee) is never queued as a customer",
                                 DOCS + "/voice/twiml/number#url"),
    "enqueue-wait-verbs": Rule(None, "waitUrl of <Enqueue>: only Play, Say, Pause, Hangup, Redirect, Leave, "
                               "Gather (no error code documented)", DOCS + "/voice/twiml/enqueue#attributes-wait-url"),
    "conference-hold-verbs": Rule(13238, "Dial->Conference: Invalid Verb used in waitUrl, holdUrl, or "
                                  "announceUrl TwiML", DOCS + "/api/errors/13238"),
    "queue-url-verbs": Rule(14211, "Dial->Queue: Invalid whisper url (only Play, Say, Pause, Redirect)",
                            DOCS + "/api/errors/14211"),
    "gather-nesting": Rule(13320, "Gather: Invalid nested verb", DOCS + "/api/errors/13320"),
    "dial-nesting": Rule(13215, "Dial: Invalid nested element", DOCS + "/api/errors/13215"),
    "dial-record": Rule(13217, "Dial: Invalid record value", DOCS + "/api/errors/13217"),
    "play-loop": Rule(13410, "Play: Invalid loop value", DOCS + "/api/errors/13410"),
    "say-loop": Rule(13510, "Say: Invalid loop value", DOCS + "/api/errors/13510"),
    "gather-say-loop": Rule(13322, "Gather->Say: Invalid loop value", DOCS + "/api/errors/13322"),
    "queue-reservation-sid": Rule(14215, "Dial->Queue: Invalid ReservationSid. Unable to dequeue",
                                  DOCS + "/api/errors/14215"),
    "queue-by-reservation": Rule(None, "ramal: <Dial><Queue> only bridges the reservation TaskRouter offered "
                                 "(reservationSid, no queue name)", DOCS + "/voice/twiml/queue"),
    "enqueue-workflow-sid": Rule(14220, "Enqueue: Provided Workflow was not a valid sid",
                                 DOCS + "/api/errors/14220"),
    "enqueue-task-json": Rule(14221, "Enqueue: Provided Attributes JSON was not valid", DOCS + "/api/errors/14221"),
    "enqueue-task": Rule(None, "ramal: <Enqueue workflowSid> carries exactly one <Task> with the attributes",
                         DOCS + "/voice/twiml/enqueue"),
    "wait-url-method": Rule(14206, "Enqueue: Invalid waitUrlMethod value", DOCS + "/api/errors/14206"),
    "link-context": Rule(None, "ramal's tests: the route at a URL must be the one for the context Twilio "
                         "fetches it in", "tests/py/ramaltest/voice.py (ROUTE_CONTEXTS)"),
}


class TwimlError(AssertionError):
    """A document real Twilio would refuse (or partly ignore) where it
    was fetched.  code: Twilio's error code, None when none is documented."""

    def __init__(self, rule, context, detail):
        r = RULES[rule]
        self.rule = rule
        self.code = r.code
        self.context = context
        self.detail = detail
        code = "error %d" % r.code if r.code is not None else "no Twilio error code"
        super().__init__("TwiML refused in %s: %s (%s): %s [%s]" % (
            CONTEXTS.get(context, context), r.title, code, detail, r.source))


# --------------------------------------------------------------------------
# what each context allows

VERBS = {"Say", "Play", "Gather", "Record", "Dial", "Enqueue", "Leave", "Hangup", "Redirect", "Reject", "Pause",
         "Sms", "Message"}

ALLOWED = {
    ENQUEUE_WAIT: ({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"}, "enqueue-wait-verbs"),
    CONFERENCE_HOLD: ({"Say", "Play", "Pause", "Redirect"}, "conference-hold-verbs"),
    QUEUE_URL: ({"Play", "Say", "Pause", "Redirect"}, "queue-url-verbs"),
}

GATHER_CHILDREN = {"Say", "Play", "Pause"}
DIAL_NOUNS = {"Number", "Client", "Conference", "Queue", "Sip"}
DIAL_RECORD = {"true", "false", "do-not-record", "record-from-answer", "record-from-ringing",
               "record-from-answer-dual", "record-from-ringing-dual"}
SID = r"^%s[0-9a-fA-F]{32}$"


def _where(el):
    return el.getroottree().getpath(el)


def _check_context(root, context):
    if context == CALLED_PARTY:
        for el in root:
            if el.tag == "Dial":
                raise TwimlError("called-party-dial", context, "<Dial> at %s" % _where(el))
            if el.tag == "Enqueue":
                raise TwimlError("called-party-enqueue", context, "<Enqueue> at %s" % _where(el))
        return
    allowed = ALLOWED.get(context)
    if allowed is None:
        return
    verbs, rule = allowed
    for el in root:
        if el.tag not in verbs:
            raise TwimlError(rule, context, "<%s> at %s (allowed: %s)" % (el.tag, _where(el),
                                                                        ", ".join(sorted(verbs))))


def _loop_ok(v):
    return v is None or re.fullmatch(r"[0-9]+", v) is not None


def _check_nesting_and_values(root, context):
    for el in root.iter():
        tag, parent = el.tag, el.getparent()
        if tag == "Gather":
            for ch in el:
                if ch.tag not in GATHER_CHILDREN:
                    raise TwimlError("gather-nesting", context, "<%s> in <Gather> at %s" % (ch.tag, _where(ch)))
        elif tag == "Dial":
            for ch in el:
                if ch.tag not in DIAL_NOUNS:
                    raise TwimlError("dial-nesting", context, "<%s> in <Dial> at %s" % (ch.tag, _where(ch)))
            rec = el.get("record")
            if rec is not None and rec not in DIAL_RECORD:
                raise TwimlError("dial-record", context, "record=%r at %s" % (rec, _where(el)))
        elif tag == "Play" and not _loop_ok(el.get("loop")):
            raise TwimlError("play-loop", context, "loop=%r at %s" % (el.get("loop"), _where(el)))
        elif tag == "Say" and not _loop_ok(el.get("loop")):
            rule = "gather-say-loop" if parent is not None and parent.tag == "Gather" else "say-loop"
            raise TwimlError(rule, context, "loop=%r at %s" % (el.get("loop"), _where(el)))
        elif tag == "Queue":
            wr = el.get("reservationSid")
            if wr is None or (el.text or "").strip():
                raise TwimlError("queue-by-reservation", context, "<Queue> %s at %s" % (
                    "names a queue" if (el.text or "").strip() else "has no reservationSid", _where(el)))
            if not re.match(SID % "WR", wr):
                raise TwimlError("queue-reservation-sid", context, "reservationSid=%r at %s" % (wr, _where(el)))
        elif tag == "Enqueue":
            _check_enqueue(el, context)


def _check_enqueue(el, context):
    m = el.get("waitUrlMethod")
    if m is not None and m not in ("GET", "POST"):
        raise TwimlError("wait-url-method", context, "waitUrlMethod=%r at %s" % (m, _where(el)))
    ww = el.get("workflowSid")
    if ww is None:
        return
    if not re.match(SID % "WW", ww):
        raise TwimlError("enqueue-workflow-sid", context, "workflowSid=%r at %s" % (ww, _where(el)))
    tasks = el.findall("Task")
    if len(tasks) != 1 or (el.text or "").strip():
        raise TwimlError("enqueue-task", context, "%d <Task> elements%s at %s" % (
            len(tasks), " and a queue name" if (el.text or "").strip() else "", _where(el)))
    try:
        attrs = json.loads(tasks[0].text or "")
    except ValueError as e:
        raise TwimlError("enqueue-task-json", context, "%s: %r" % (e, tasks[0].text)) from None
    if not isinstance(attrs, dict):
        raise TwimlError("enqueue-task-json", context, "the attributes are not a JSON object: %r" % tasks[0].text)


# --------------------------------------------------------------------------
# Twilio's XML schema, relaxed where Twilio accepts more today


XS = "http://www.w3.org/2001/XMLSchema"


def _xs(tag):
    return "{%s}%s" % (XS, tag)


def _named(tree, kind, name):
    found = tree.getroot().findall(_xs(kind))
    for el in found:
        if el.get("name") == name:
            return el
    raise KeyError("%s %s not in the schema" % (kind, name))


def _attr_parent(ct):
    """Where attributes of complexType ct go (its simpleContent extension
    when it has one)."""
    ext = ct.find("%s/%s" % (_xs("simpleContent"), _xs("extension")))
    return ext if ext is not None else ct


def _set_attr(ct, name, type_=None, values=None, list_of=None):
    """Add (or replace) attribute name on ct: of type_, or an enumeration
    of values, or a space-separated list of list_of."""
    parent = _attr_parent(ct)
    for old in parent.findall(_xs("attribute")):
        if old.get("name") == name:
            parent.remove(old)
    a = etree.SubElement(parent, _xs("attribute"), name=name)
    if type_:
        a.set("type", type_)
        return
    st = etree.SubElement(a, _xs("simpleType"))
    if list_of:
        st = etree.SubElement(etree.SubElement(st, _xs("list")), _xs("simpleType"))
        values = list_of
    r = etree.SubElement(st, _xs("restriction"), base="xs:string")
    for v in values:
        etree.SubElement(r, _xs("enumeration"), value=v)


def _pattern_type(st, pattern):
    for ch in list(st):
        st.remove(ch)
    r = etree.SubElement(st, _xs("restriction"), base="xs:string")
    etree.SubElement(r, _xs("pattern"), value=pattern)


CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
RECORDING_EVENTS = ("in-progress", "completed", "absent")
CONFERENCE_EVENTS = ("start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement")


def _status_callback(ct, events):
    _set_attr(ct, "statusCallback", "xs:string")
    _set_attr(ct, "statusCallbackMethod", "MethodType")
    _set_attr(ct, "statusCallbackEvent", list_of=events)


def _recording_callback(ct):
    _set_attr(ct, "recordingStatusCallback", "xs:string")
    _set_attr(ct, "recordingStatusCallbackMethod", "MethodType")
    _set_attr(ct, "recordingStatusCallbackEvent", list_of=RECORDING_EVENTS)


def relaxed_schema_tree():
    """tests/twiml/twiml.xsd with one change per attribute or value that
    Twilio accepts today and the 2015 schema does not know.  Each names
    the Twilio page that documents it; nothing else is loosened."""
    tree = etree.parse(XSD_PATH)

    # <Say voice>: Amazon Polly and Google voices besides man/woman/alice.
    # https://www.twilio.com/docs/voice/twiml/say/text-speech
    _pattern_type(_named(tree, "simpleType", "VoiceType"),
                  r"man|woman|alice|Polly\.[A-Za-z]+(-Neural|-Generative)?"
                  r"|Google\.[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
    # <Say language>: a language-region tag such as pt-BR.
    # https://www.twilio.com/docs/voice/twiml/say#attributes-language
    _pattern_type(_named(tree, "simpleType", "LanguageType"), r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")

    dial = _named(tree, "complexType", "DialType")
    # <Dial answerOnBridge>.  https://www.twilio.com/docs/voice/twiml/dial#answeronbridge
    _set_attr(dial, "answerOnBridge", "xs:boolean")
    # <Dial record>: the recording modes, not a boolean.
    # https://www.twilio.com/docs/voice/twiml/dial#record
    _set_attr(dial, "record", values=sorted(DIAL_RECORD))
    # <Dial recordingStatusCallback*>.
    # https://www.twilio.com/docs/voice/twiml/dial#recordingstatuscallback
    _recording_callback(dial)

    # <Client>: <Identity> and <Parameter> inside, status callbacks.
    # https://www.twilio.com/docs/voice/twiml/client
    client = _named(tree, "complexType", "ClientType")
    for ch in list(client):
        client.remove(ch)
    client.set("mixed", "true")
    choice = etree.SubElement(etree.SubElement(client, _xs("sequence"), minOccurs="0", maxOccurs="unbounded"),
                              _xs("choice"))
    etree.SubElement(choice, _xs("element"), name="Identity", type="xs:string")
    param = etree.SubElement(etree.SubElement(choice, _xs("element"), name="Parameter"), _xs("complexType"))
    _set_attr(param, "name", "xs:string")
    _set_attr(param, "value", "xs:string")
    _set_attr(client, "url", "xs:string")
    _set_attr(client, "method", "MethodType")
    _status_callback(client, CALL_EVENTS)

    # <Number statusCallback*>.  https://www.twilio.com/docs/voice/twiml/number
    _status_callback(_named(tree, "complexType", "NumberType"), CALL_EVENTS)

    # <Conference record>, beep values, status and recording callbacks.
    # https://www.twilio.com/docs/voice/twiml/conference
    conf = _named(tree, "complexType", "ConferenceType")
    _set_attr(conf, "record", values=("do-not-record", "record-from-start"))
    _set_attr(conf, "beep", values=("true", "false", "onEnter", "onExit"))
    _status_callback(conf, CONFERENCE_EVENTS)
    _recording_callback(conf)

    # <Record recordingStatusCallback*>.
    # https://www.twilio.com/docs/voice/twiml/record#recordingstatuscallback
    _recording_callback(_named(tree, "complexType", "RecordType"))
    return tree


_schema = None


def schema():
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(relaxed_schema_tree())
    return _schema


def strict_schema():
    return etree.XMLSchema(etree.parse(XSD_PATH))


# --------------------------------------------------------------------------
# the check


def parse(doc, context=None):
    """The document's root (lxml), or TwimlError 12100."""
    if isinstance(doc, str):
        doc = doc.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(doc, parser)
    except etree.XMLSyntaxError as e:
        raise TwimlError("parse", context, str(e)) from None
    return root


def check(doc, context):
    """Raise TwimlError where Twilio would refuse doc (bytes or str) in
    context; return its root (lxml) otherwise."""
    if context not in CONTEXTS:
        raise ValueError("unknown TwiML context %r" % context)
    root = parse(doc, context)
    if root.tag != "Response":
        raise TwimlError("root", context, "<%s>" % root.tag)
    if context == CALLBACK:
        return root
    for el in root:
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        if el.tag not in VERBS:
            raise TwimlError("unknown-verb", context, "<%s> at %s" % (el.tag, _where(el)))
    _check_context(root, context)
    _check_nesting_and_values(root, context)
    bare = copy.deepcopy(root)
    etree.strip_tags(bare, etree.Comment)
    s = schema()
    if not s.validate(bare):
        e = s.error_log.last_error
        raise TwimlError("schema", context, "line %d: %s" % (e.line, e.message))
    return root


# --------------------------------------------------------------------------
# where a document sends Twilio next

# (element, attribute) -> context of the URL, for a CALL document
_CALL_LINKS = {
    ("Dial", "action"): CALL,
    ("Enqueue", "action"): CALL,
    ("Record", "action"): CALL,
    ("Gather", "action"): CALL,
    ("Number", "url"): CALLED_PARTY,
    ("Client", "url"): CALLED_PARTY,
    ("Sip", "url"): CALLED_PARTY,
    ("Enqueue", "waitUrl"): ENQUEUE_WAIT,
    ("Queue", "url"): QUEUE_URL,
    ("Conference", "waitUrl"): CONFERENCE_HOLD,
}
_CALLBACK_ATTRS = ("statusCallback", "recordingStatusCallback", "transcribeCallback")


def links(root, context):
    """[(url, context it is fetched in, where)] for the URLs root gives:
    a <Redirect> stays in the document's context; in a call's document
    the actions are call documents, <Number>/<Client> urls called-party
    documents, and so on; status callbacks are CALLBACK."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "Redirect" and (el.text or "").strip():
            out.append(((el.text or "").strip(), context, _where(el)))
        for attr, value in el.attrib.items():
            if attr in _CALLBACK_ATTRS:
                out.append((value, CALLBACK, "%s/@%s" % (_where(el), attr)))
            elif context == CALL and (el.tag, attr) in _CALL_LINKS:
                out.append((value, _CALL_LINKS[(el.tag, attr)], "%s/@%s" % (_where(el), attr)))
    return out
