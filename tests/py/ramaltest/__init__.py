"""ramal's black-box test helpers, shared by the tests under tests/py
(whose fixtures, in tests/py/conftest.py, are made of them) and by
scripts/bench.py.

harness      processes: `ramal serve` (Ramal), one-shot commands (run_cli),
             logfmt, raw HTTP/1.1, Prometheus metrics, random SIDs
database     the throwaway PostgreSQL cluster (Postgres) and a server's
             database read and written behind its back (Db, db)
server       RamalFactory (servers on fresh databases, checked when
             stopped), the default environment, requests sessions
fake_twilio  the loopback fake Twilio REST API, checked against the
             OpenAPI extract in oai/; also runs on its own:
             /usr/bin/python3 tests/py/ramaltest/fake_twilio.py [PORT]
signing      X-Twilio-Signature and signed webhooks (Signer, Webhook),
             signed over the URL the way Twilio signs each callback type
voice        voice webhook parameters, reading TwiML answers, and the
             TwiML context of each route (every answer is checked)
twiml_model  TwiML as Twilio reads it by context, with Twilio's error codes
             and its XML schema relaxed where Twilio accepts more today
taskrouter   TaskRouter's side of the queue path (assignment, call
             instruction, the agent's leg)
agents       users made with the CLI, sign-in, signed-in agents
sse          a Server-Sent Events client for GET /api/events

Test files import them as `from ramaltest import harness` or
`from ramaltest.voice import ...`; tests/py/pytest.ini puts tests/py on
sys.path.
"""
