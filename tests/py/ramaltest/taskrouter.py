"""TaskRouter's side of the queue path, played against a ramal server: a
caller enqueued with <Enqueue workflowSid> becomes a task of a modelled
workspace (ramaltest.fake_twilio.Workspace), the workspace reserves a
worker, TaskRouter posts the assignment callback, Twilio executes the
`call` instruction (the agent answers, the instruction's url runs on the
agent's leg), and the leg's only status callback is `completed`.  Every
step follows what Twilio documents (docs/twilio-behaviour.md, "TaskRouter"),
so a test fails where real Twilio would fail the call."""

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET

from .fake_twilio import TaskRouterError, Workspace
from .harness import sid, slow_factor
from .twiml_model import CALL
from .voice import INBOUND, call_params, context_of, follow, twiml, with_params

ASSIGN = "/twilio/taskrouter/assignment"
# TaskRouter waits this long for the assignment callback's answer before it
# retries on the fallback URL (and lets the reservation time out).
ASSIGNMENT_TIMEOUT_S = 5.0


class Offer:
    """One reservation offered through the assignment callback."""

    def __init__(self, wr, wt, worker, instruction, took):
        self.wr, self.wt, self.worker = wr, wt, worker
        self.instruction = instruction
        self.took = took


class Leg:
    """The agent's leg Twilio makes for a `call` instruction."""

    def __init__(self, call_sid, offer):
        self.call_sid = call_sid
        self.offer = offer
        self.twiml = None
        self.bridged = False
        self.dropped = None  # the TaskRouterError that dropped it


class Queued:
    """A caller waiting in the queue: its params, <Enqueue> and task."""

    def __init__(self, params, enqueue, wt):
        self.params = params
        self.call_sid = dict(params)["CallSid"]
        self.enqueue = enqueue
        self.wt = wt


class TaskRouterSide:
    def __init__(self, srv, db, webhook, fake):
        self.srv, self.db, self.webhook, self.fake = srv, db, webhook, fake
        self.ws = fake.add_workspace(Workspace())
        self.numbers = set()  # the account's own numbers (From of calls it makes)
        self.status_callbacks = []  # (leg, params) posted
        self.ws_row()

    def ws_row(self):
        """The taskrouter_config row `ramal provision` would store."""
        a = self.ws.activities
        self.db.run("INSERT INTO taskrouter_config (tenant_id, workspace_sid, workflow_sid, task_queue_sid,"
                    " activity_available_sid, activity_busy_sid, activity_offline_sid, activity_wrapup_sid)"
                    " SELECT id, %s, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s"
                    " ON CONFLICT (tenant_id) DO UPDATE SET workspace_sid = EXCLUDED.workspace_sid,"
                    " workflow_sid = EXCLUDED.workflow_sid, task_queue_sid = EXCLUDED.task_queue_sid,"
                    " activity_available_sid = EXCLUDED.activity_available_sid,"
                    " activity_busy_sid = EXCLUDED.activity_busy_sid,"
                    " activity_offline_sid = EXCLUDED.activity_offline_sid,"
                    " activity_wrapup_sid = EXCLUDED.activity_wrapup_sid",
                    (self.ws.sid, self.ws.workflow_sid, self.ws.queue_sid, a["Available"], a["Busy"],
                     a["Offline"], a["Wrap-up"], self.srv.account_sid))

    def agent(self, status="available", contact_uri=None):
        """(user id, identity, worker sid): a user with a worker of this workspace."""
        uid, ident = self.db.add_user(status)
        wk = sid("WK")
        self.db.run("UPDATE users SET worker_sid = %s WHERE id = %s", (wk, uid))
        attrs = {"identity": ident, "contact_uri": contact_uri or "client:" + ident, "name": ident}
        self.ws.add_worker(attrs, "Available" if status == "available" else "Offline", sid=wk)
        return uid, ident, wk

    def signed_in_agent(self):
        """(User, worker sid): a signed-in available agent with a worker."""
        from .agents import User

        u = User(self.srv)
        wk = sid("WK")
        self.db.run("UPDATE users SET worker_sid = %s, status = 'available' WHERE id = %s", (wk, u.id))
        self.ws.add_worker({"identity": u.identity, "contact_uri": "client:" + u.identity}, "Available", sid=wk)
        return u, wk

    def number(self, **kw):
        nid, did = self.db.add_number(**kw)
        self.numbers.add(did)
        return nid, did

    # -- the caller ------------------------------------------------------

    def enqueue(self, params, root):
        """The task <Enqueue workflowSid><Task> creates."""
        enq = root.find("Enqueue")
        assert enq is not None, ET.tostring(root)
        attrs = json.loads(enq.find("Task").text)
        return Queued(params, enq, self.ws.create_task(attrs))

    def inbound(self, did, frm="+5511987654321"):
        params = call_params(self.srv.account_sid, did, frm=frm)
        return self.enqueue(params, twiml(self.webhook, self.srv, INBOUND, params))

    # -- TaskRouter -------------------------------------------------------

    def offer(self, q, skip_dedicated=False, budget=ASSIGNMENT_TIMEOUT_S):
        """Reserve a worker for q's task and post the assignment callback.
        None when no worker can take it.  A callback slower than TaskRouter
        waits times out: the reservation ends in timeout, the task is
        pending again, and offer.instruction is None."""
        wr = self.ws.route(q.wt, skip_dedicated=skip_dedicated)
        if wr is None:
            return None
        r = self.ws.reservation(wr)
        w = self.ws.workers[r["worker"]]
        t = self.ws.task(q.wt)
        p = {"AccountSid": self.srv.account_sid, "WorkspaceSid": self.ws.sid,
             "WorkflowSid": self.ws.workflow_sid, "TaskQueueSid": self.ws.queue_sid,
             "WorkerSid": r["worker"], "WorkerAttributes": json.dumps(w["attributes"]),
             "TaskSid": q.wt, "TaskAttributes": json.dumps(t["attributes"]), "TaskAge": "3",
             "TaskPriority": "0", "ReservationSid": wr, "Timestamp": str(int(time.time()))}
        t0 = time.monotonic()
        resp = self.webhook.post(self.srv, sorted(p.items()), path=ASSIGN, timeout=30)
        took = time.monotonic() - t0
        offer = Offer(wr, q.wt, r["worker"], None, took)
        if took > budget * slow_factor():
            self.ws.errors.append(TaskRouterError(
                40001, "assignment callback took %.1f s (TaskRouter waits %.0f s)" % (took, budget)))
            self.ws.timeout(wr)
            return offer
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"].split(";")[0] == "application/json"
        offer.instruction = resp.json()
        return offer

    def answer(self, offer, q):
        """The agent answers the `call` instruction: Twilio accepts the
        reservation now when the instruction says accept=true, then runs
        the instruction's url on the agent's leg and follows its TwiML."""
        ins = offer.instruction
        assert ins["instruction"] == "call", ins
        # the instruction's url is the agent leg's own document
        u = urllib.parse.urlsplit(ins["url"])
        assert context_of(u.path, u.query) == CALL, ins["url"]
        to, frm = ins["to"], ins["from"]
        if to.startswith("+") and frm not in self.numbers:
            err = TaskRouterError(40111, "call instruction from %r is not a number of the account" % frm)
            self.ws.errors.append(err)
            raise err
        leg = Leg(sid("CA"), offer)
        if str(ins.get("accept", "false")).lower() == "true":
            self.ws.accept(offer.wr, "instruction")
        params = sorted({"AccountSid": self.srv.account_sid, "ApiVersion": "2010-04-01", "CallSid": leg.call_sid,
                         "CallStatus": "in-progress", "Direction": "outbound-api", "From": frm, "To": to,
                         "Called": to, "Caller": frm}.items())
        leg.twiml = follow(self.webhook, self.srv, ins["url"], params)
        queue = leg.twiml.find("Dial/Queue")
        if queue is not None and queue.get("reservationSid"):
            try:
                self.ws.accept(queue.get("reservationSid"), "dial-queue")
            except TaskRouterError as e:
                # Twilio ends the agent's <Dial> with the error and the leg
                # hangs up; the caller keeps waiting in the queue.
                leg.dropped = e
                self.hangup(leg, duration=3)
                return leg
            leg.bridged = True
            exit_params = with_params(q.params, QueueResult="bridged", QueueTime="9",
                                      QueueSid=sid("QU"), CallStatus="in-progress")
            follow(self.webhook, self.srv, q.enqueue.get("action"), exit_params)
        return leg

    def hangup(self, leg, duration=60):
        """The call ends: the `call` instruction's status_callback_url gets
        the leg's `completed` event, its only one."""
        ins = leg.offer.instruction
        url = ins.get("status_callback_url")
        if not url:
            return None
        p = {"AccountSid": self.srv.account_sid, "ApiVersion": "2010-04-01", "CallSid": leg.call_sid,
             "CallStatus": "completed", "Direction": "outbound-api", "From": ins["from"], "To": ins["to"],
             "Called": ins["to"], "Caller": ins["from"], "CallDuration": str(duration),
             "Duration": str((duration + 59) // 60), "SequenceNumber": "0",
             "CallbackSource": "call-progress-events",
             "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())}
        u = urllib.parse.urlsplit(url)
        r = self.webhook.post(self.srv, sorted(p.items()), path=u.path, query=u.query)
        assert r.status_code == 200, r.text
        self.status_callbacks.append((leg, p))
        return r

    def wait_task(self, wt, status, within=10.0):
        deadline = time.monotonic() + within * slow_factor()
        while time.monotonic() < deadline:
            if self.ws.task(wt)["status"] == status:
                return True
            time.sleep(0.1)
        return self.ws.task(wt)["status"] == status
