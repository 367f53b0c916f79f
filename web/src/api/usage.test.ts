/*
 * Every API path, method and JSON field the softphone uses is in
 * docs/openapi.yaml, read here as YAML (not through the generated types).
 *
 * - Statically: every '/api/...' or '/token' string in src/ and in the
 *   typed client it is built with (clients/ts/src), tests aside, is a path
 *   of the YAML.
 * - By running the client: the real `api` (fetch replaced by a fake), the Controller
 *   with the fake Voice SDK, and the screens rendered to HTML go through
 *   sign-in (a refused one first), a restored session, token, status,
 *   agents, a call with hold and unhold, every /api/events type and
 *   sign-out.  Each request must be an operation of the YAML (path
 *   parameters matching their pattern, body fields declared, X-CSRF-Token
 *   a declared header), and every answer and event is built from its
 *   schema as objects that record each field read: a read of a field the
 *   schema lacks fails the test, wherever in the client it happens.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import ts from 'typescript';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { api, type Api } from '../phone/api';
import { Controller, type EventStreamLike } from '../phone/controller';
import { Phone } from '../screens/Phone';
import { Device, control } from '../testing/fake-voice-sdk';

const SRC = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = fileURLToPath(new URL('../../../clients/ts/src', import.meta.url));
const SPEC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, where: string): Obj {
  if (!isObj(v)) throw new Error(`docs/openapi.yaml: ${where} is not a mapping`);
  return v;
}

const doc = obj(parse(readFileSync(SPEC, 'utf8')) as unknown, 'the document');
const specPaths = obj(doc.paths, 'paths');

/* A schema with its $ref (and allOf) followed. */
function deref(v: unknown, where: string): Obj {
  let s = obj(v, where);
  for (let hops = 0; typeof s.$ref === 'string'; hops++) {
    const ref = s.$ref;
    if (!ref.startsWith('#/') || hops > 20) throw new Error(`${where}: unsupported $ref ${ref}`);
    let cur: unknown = doc;
    for (const part of ref.slice(2).split('/')) cur = obj(cur, ref)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (cur === undefined) throw new Error(`${where}: $ref ${ref} does not resolve`);
    s = obj(cur, ref);
  }
  if (Array.isArray(s.allOf)) {
    const merged: Obj = { type: 'object', properties: {}, required: [] };
    for (const part of s.allOf) {
      const p = deref(part, where);
      Object.assign(obj(merged.properties, where), isObj(p.properties) ? p.properties : {});
    }
    return merged;
  }
  return s;
}

function properties(schema: Obj): Obj {
  return isObj(schema.properties) ? schema.properties : {};
}

/* ---- operations by method and concrete URL ---- */

interface Op {
  key: string; // "POST /api/calls/{sid}/hold"
  template: string;
  op: Obj;
  pathItem: Obj;
}

function templateMatches(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(.+)\}$/.exec(t[i]);
    if (m) params[m[1]] = decodeURIComponent(p[i]);
    else if (t[i] !== p[i]) return null;
  }
  return params;
}

function findOp(method: string, url: string): { op: Op; params: Record<string, string> } | null {
  const path = url.split('?')[0];
  // A literal path beats a template ("/api/agents/me/status" before "{id}").
  const candidates = Object.keys(specPaths).sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')));
  for (const template of candidates) {
    const params = templateMatches(template, path);
    if (!params) continue;
    const pathItem = obj(specPaths[template], template);
    const op = pathItem[method.toLowerCase()];
    if (!isObj(op)) return null;
    return { op: { key: `${method.toUpperCase()} ${template}`, template, op, pathItem }, params };
  }
  return null;
}

function parametersOf(o: Op): Obj[] {
  const list = [
    ...(Array.isArray(o.pathItem.parameters) ? o.pathItem.parameters : []),
    ...(Array.isArray(o.op.parameters) ? o.op.parameters : []),
  ];
  return list.map((p, i) => deref(p, `${o.key} parameter ${i}`));
}

function jsonSchemaOf(holder: unknown, where: string): Obj | null {
  if (holder === undefined) return null;
  const content = deref(holder, where).content;
  if (!isObj(content) || !isObj(content['application/json'])) return null;
  return deref(content['application/json'].schema, where + ' schema');
}

/* ---- sample values that record the fields read ---- */

const problems: string[] = [];
const reads = new Set<string>();
/* Keys JavaScript itself asks objects for (promise resolution, React, ...). */
const NOT_FIELDS = new Set(['then', 'toJSON', 'constructor', '$$typeof', 'valueOf', 'toString']);

/* A value for schema: enums take their last value (role admin, so the
 * supervisor parts run), strings "x" or a date, numbers 1, booleans true;
 * objects are recording proxies with every property the schema has. */
function sample(schema: Obj, where: string): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[schema.enum.length - 1];
  switch (schema.type) {
    case 'string':
      return schema.format === 'date-time' ? '2026-11-24T10:19:24Z' : 'x';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [sample(deref(schema.items, where + '[]'), where + '[]')];
    default: {
      const props = properties(schema);
      const target: Obj = {};
      for (const [k, v] of Object.entries(props)) target[k] = sample(deref(v, `${where}.${k}`), `${where}.${k}`);
      return new Proxy(target, {
        get(t, key, receiver) {
          if (typeof key === 'string' && !NOT_FIELDS.has(key)) {
            reads.add(`${where}.${key}`);
            if (!(key in props)) problems.push(`the client reads ${where}.${key}, which docs/openapi.yaml does not have`);
          }
          return Reflect.get(t, key, receiver);
        },
      });
    }
  }
}

/* ---- the fake fetch ---- */

const requested = new Set<string>();
/* Operation key → the status to refuse its next request with. */
const refuseNext = new Map<string, string>();

interface FakeResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

function fakeFetch(input: unknown, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<FakeResponse> {
  const url = String(input);
  const method = init.method ?? 'GET';
  const found = findOp(method, url);
  if (!found) {
    problems.push(`the client requests ${method} ${url}, which docs/openapi.yaml does not have`);
    return Promise.resolve({ ok: false, status: 404, json: async () => null });
  }
  const { op, params } = found;
  requested.add(op.key);
  const declared = parametersOf(op);
  for (const [name, value] of Object.entries(params)) {
    const p = declared.find((d) => d.in === 'path' && d.name === name);
    if (!p) problems.push(`${op.key}: path parameter {${name}} not declared`);
    const schema = p && isObj(p.schema) ? deref(p.schema, `${op.key} {${name}}`) : {};
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
      problems.push(`${op.key}: {${name}} = ${value} does not match ${schema.pattern}`);
  }
  for (const h of Object.keys(init.headers ?? {})) {
    if (['accept', 'content-type'].includes(h.toLowerCase())) continue;
    if (!declared.some((d) => d.in === 'header' && String(d.name).toLowerCase() === h.toLowerCase()))
      problems.push(`${op.key}: the client sends header ${h}, which the operation does not declare`);
  }
  const reqSchema = jsonSchemaOf(op.op.requestBody, `${op.key} requestBody`);
  if (init.body !== undefined) {
    const body: unknown = JSON.parse(String(init.body));
    if (!reqSchema) problems.push(`${op.key}: the client sends a JSON body, the operation takes none`);
    else if (!isObj(body)) problems.push(`${op.key}: the body is not an object`);
    else {
      const props = properties(reqSchema);
      for (const k of Object.keys(body)) if (!(k in props)) problems.push(`${op.key}: the client sends field ${k}, not in the request schema`);
      for (const k of Array.isArray(reqSchema.required) ? reqSchema.required : [])
        if (!(String(k) in body)) problems.push(`${op.key}: the client leaves out the required field ${String(k)}`);
      for (const k of Object.keys(body)) reads.add(`${op.key} request.${k}`);
    }
  } else if (reqSchema && deref(op.op.requestBody, op.key).required === true) {
    problems.push(`${op.key}: the operation needs a body, the client sends none`);
  }
  const responses = obj(op.op.responses, `${op.key} responses`);
  const refuse = refuseNext.get(op.key);
  refuseNext.delete(op.key);
  const code = refuse ?? Object.keys(responses).find((c) => /^2\d\d$/.test(c));
  if (!code || !(code in responses)) throw new Error(`${op.key}: no ${refuse ?? '2xx'} answer in docs/openapi.yaml`);
  const schema = jsonSchemaOf(responses[code], `${op.key} ${code}`);
  const data = schema ? sample(schema, `${op.key} ${code}`) : null;
  return Promise.resolve({ ok: !refuse, status: Number(code), json: async () => data });
}

/* ---- the event stream ---- */

const xEvents = obj(obj(obj(specPaths['/api/events'], '/api/events').get, 'GET /api/events')['x-events'], 'x-events');

class FakeEvents implements EventStreamLike {
  readyState = 1;
  onopen: EventStreamLike['onopen'] = null;
  onerror: EventStreamLike['onerror'] = null;
  listeners = new Map<string, ((ev: { data: unknown }) => void)[]>();
  addEventListener(type: string, fn: (ev: { data: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close(): void {
    this.readyState = 2;
  }
  /* One record of type with data made from its schema (x-events). */
  deliver(type: string): void {
    const where = `event ${type}`;
    const data = sample(deref(xEvents[type], where), where);
    for (const fn of this.listeners.get(type) ?? []) {
      // The controller parses the record's text: hand it the recording object.
      const spy = vi.spyOn(JSON, 'parse').mockImplementation(() => data);
      try {
        fn({ data: '{}' });
      } finally {
        const n = spy.mock.calls.length;
        spy.mockRestore();
        if (n !== 1) problems.push(`${where}: the client parsed the record ${n} times`);
      }
    }
  }
}

/* ---- the client ---- */

const tick = () => new Promise((r) => setTimeout(r, 0));
const streams: FakeEvents[] = [];
/* The client's functions, as the controller and this test reach them. */
const called = new Set<string>();
const tracked: Api = new Proxy(api, {
  get(t, k, r) {
    if (typeof k === 'string') called.add(k);
    return Reflect.get(t, k, r);
  },
});

function controller(): Controller {
  return new Controller({
    api: tracked,
    createDevice: (token) => new Device(token, {}),
    micCheck: async () => 'granted',
    ringer: { start: () => undefined, stop: () => undefined },
    notifier: { show: () => undefined, close: () => undefined },
    openEvents: () => {
      const es = new FakeEvents();
      streams.push(es);
      return es;
    },
    now: () => Date.now(),
    setTimeout: () => 0,
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 50 && !cond(); i++) await tick();
  if (!cond()) throw new Error('timed out waiting for ' + what);
}

function render(ctl: Controller): string {
  return renderToStaticMarkup(createElement(Phone, { s: ctl.state, ctl, lang: 'pt-BR' }));
}

describe('the paths in the source', () => {
  it('every "/api/..." and "/token" string in src/ and the client is a path of docs/openapi.yaml', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$|\.d\.ts$/.test(e.name)) files.push(p);
      }
    };
    walk(SRC);
    walk(CLIENT);
    const found: string[] = [];
    for (const f of files) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        let text: string | null = null;
        if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) text = n.text;
        else if (ts.isTemplateExpression(n)) text = n.head.text + '{}'; // a built path: its fixed start
        if (text !== null && /^\/(api\/|api$|token$)/.test(text)) {
          const path = text;
          found.push(path);
          const ok = path.endsWith('{}')
            ? Object.keys(specPaths).some((p) => p.startsWith(path.slice(0, -2)))
            : path in specPaths;
          if (!ok) problems.push(`${relative(SRC, f)}: ${text} is not a path of docs/openapi.yaml`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toContain('/api/login');
    expect(found).toContain('/api/events');
    expect(problems).toEqual([]);
  });
});

describe('what the client sends and reads', () => {
  beforeAll(() => {
    vi.stubGlobal('fetch', fakeFetch);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is all in docs/openapi.yaml', async () => {
    // A page load without a session, then a refused sign-in, then one that works.
    const ctl = controller();
    refuseNext.set('GET /api/me', '401');
    await tracked.me().then(
      () => problems.push('GET /api/me: the refusal was not an error'),
      () => undefined,
    );
    refuseNext.set('POST /api/login', '401');
    ctl.dispatch({ type: 'login.submit', email: 'ana@example.com', password: 'pw' });
    await until(() => !ctl.state.loginPending, 'the refused sign-in');
    expect(ctl.state.loginError).not.toBeNull();
    ctl.dispatch({ type: 'login.submit', email: 'ana@example.com', password: 'pw' });
    await until(() => ctl.state.device === 'ready', 'the phone to register');
    await until(() => ctl.state.agents.length > 0, 'the agent list');
    render(ctl);

    // Status, then a refused one.
    ctl.dispatch({ type: 'status.choose', status: 'available' });
    await until(() => !ctl.state.statusPending, 'the status');
    refuseNext.set('PUT /api/agents/me/status', '409');
    ctl.dispatch({ type: 'status.choose', status: 'busy' });
    await until(() => !ctl.state.statusPending, 'the refused status');
    expect(ctl.state.statusError).not.toBeNull();
    // Wrap-up after a queued call, ended from the softphone.
    ctl.dispatch({ type: 'status.remote', status: 'wrapup' });
    render(ctl);
    ctl.dispatch({ type: 'wrapup.end' });
    await until(() => !ctl.state.statusPending, 'the end of the wrap-up');
    expect(ctl.state.status).toBe('available');

    // Every event type the stream has.
    const es = streams[streams.length - 1];
    expect(es).toBeDefined();
    for (const type of es.listeners.keys())
      if (!(type in xEvents)) problems.push(`the client listens to /api/events type ${type}, which x-events does not have`);
    // session.ended ends the session: it comes last, below.
    for (const type of Object.keys(xEvents)) if (type !== 'session.ended') es.deliver(type);
    render(ctl);

    // A call: answered, held, resumed, refused hold, hung up.
    control.incoming({ From: '+5511987654321' });
    ctl.dispatch({ type: 'call.answer' });
    await until(() => ctl.state.call === 'in-call', 'the call');
    ctl.dispatch({ type: 'hold.toggle' });
    await until(() => ctl.state.current?.hold === 'on', 'hold');
    ctl.dispatch({ type: 'hold.toggle' });
    await until(() => ctl.state.current?.hold === 'off', 'unhold');
    refuseNext.set('POST /api/calls/{sid}/hold', '409');
    ctl.dispatch({ type: 'hold.toggle' });
    await until(() => ctl.state.current?.hold === 'off' && ctl.state.callError !== null, 'the refused hold');
    render(ctl);
    ctl.dispatch({ type: 'hangup' });

    // The callback list (components/Callbacks.tsx reads these fields):
    // listed, the next one taken, closed.
    const list = await ctl.callbacks();
    for (const c of list.callbacks)
      void [c.id, c.caller, c.line, c.reason, c.state, c.created_at, c.missed_calls, c.assigned_to?.id, c.assigned_to?.name];
    void [list.open, list.oldest_open_at];
    await ctl.nextCallback();
    await ctl.closeCallback(1, 'done');
    // The admins' alert rules (components/AlertRules.tsx).
    const rules = await ctl.alertRules();
    for (const e of ['abandoned', 'missed-dedicated', 'voicemail', 'failed', 'dead-job'] as const)
      void [rules.events[e].channels, rules.events[e].cooldown_s];
    void [rules.quiet_hours?.start, rules.quiet_hours?.end, rules.timezone];
    for (const c of ['slack', 'whatsapp', 'webhook'] as const) void rules.channels[c].configured;
    void rules.channels.slack.source;
    await ctl.saveAlertRules({
      events: { voicemail: { channels: ['slack', 'whatsapp'], cooldown_s: 0 } },
      quiet_hours: { start: '22:00', end: '07:00' },
      timezone: 'America/Sao_Paulo',
      slack_webhook_url: 'https://hooks.slack.com/services/T/B/x',
    });

    // Token refresh, sign-out.
    control.tokenWillExpire();
    await until(() => control.calls('device.updateToken').length > 0, 'the token refresh');
    ctl.dispatch({ type: 'logout' });
    await tick();

    // A reload: the session restored from GET /api/me (main.tsx).
    const again = controller();
    const user = await tracked.me();
    again.dispatch({ type: 'session.restored', user, csrf: 'c' });
    await until(() => again.state.device === 'ready', 'the restored phone');
    render(again);

    // The server ends the session: back to sign-in, saying why.
    const last = streams[streams.length - 1];
    last.deliver('session.ended');
    await until(() => again.state.screen === 'login', 'the ended session');
    expect(again.state.loginError).toBe('session.ended');
    render(again);

    expect(problems).toEqual([]);
    // Every function of the client ran, and the recording saw the reads.
    expect([...called].sort()).toEqual(Object.keys(api).sort());
    expect([...requested].sort()).toEqual(
      expect.arrayContaining(['POST /api/calls/{sid}/hold', 'POST /api/calls/{sid}/unhold', 'GET /token']),
    );
    for (const r of [
      'POST /api/login 200.csrf_token',
      'POST /api/login 200.user',
      'POST /api/login 401.error',
      'GET /api/me 200.name',
      'GET /token 200.token',
      'GET /api/agents 200.agents',
      'GET /api/agents 200.agents[].on_call',
      'event status.status',
      'event call.incoming.from',
      'event queue.size',
      'event agent.since',
      'GET /api/callbacks 200.callbacks[].caller',
      'GET /api/callbacks 200.oldest_open_at',
      'GET /api/admin/alert-rules 200.events',
      'GET /api/admin/alert-rules 200.quiet_hours.start',
    ])
      expect(reads).toContain(r);
  });
});
