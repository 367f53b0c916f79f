/*
 * The client and docs/openapi.yaml (read here as YAML, not through the
 * generated types) stay in step:
 *
 * - every request each method of RamalClient makes, signed in either way,
 *   is an operation of the YAML: path parameters matching their pattern,
 *   every header declared (Authorization only where the bearer scheme
 *   applies), the JSON body's fields in the request schema and the
 *   required ones present; the events URL's query parameters declared;
 * - every operation of the YAML is reached by some method;
 * - every '/api/...' or '/token' string in src/ is a path of the YAML.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RamalClient, type AuthMode } from './index.js';
import type { FetchLike } from './client.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const SPEC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, where: string): Obj {
  if (!isObj(v)) throw new Error(`docs/openapi.yaml: ${where} is not a mapping`);
  return v;
}
const doc = obj(parse(readFileSync(SPEC, 'utf8')) as unknown, 'the document');
const specPaths = obj(doc.paths, 'paths');

function deref(v: unknown, where: string): Obj {
  let s = obj(v, where);
  for (let hops = 0; typeof s.$ref === 'string'; hops++) {
    const ref = s.$ref;
    if (!ref.startsWith('#/') || hops > 20) throw new Error(`${where}: unsupported $ref ${ref}`);
    let cur: unknown = doc;
    for (const part of ref.slice(2).split('/')) cur = obj(cur, ref)[part];
    s = obj(cur, ref);
  }
  return s;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const allOps: string[] = [];
for (const [p, item] of Object.entries(specPaths))
  for (const m of METHODS) if (isObj(obj(item, p)[m])) allOps.push(`${m.toUpperCase()} ${p}`);

interface Found {
  key: string;
  op: Obj;
  pathItem: Obj;
  params: Record<string, string>;
}

function findOp(method: string, url: string): Found | null {
  const path = url.split('?')[0];
  const templates = Object.keys(specPaths).sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')));
  for (const template of templates) {
    const t = template.split('/');
    const p = path.split('/');
    if (t.length !== p.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      const m = /^\{(.+)\}$/.exec(t[i]);
      if (m) params[m[1]] = decodeURIComponent(p[i]);
      else ok = t[i] === p[i];
    }
    if (!ok) continue;
    const pathItem = obj(specPaths[template], template);
    const op = pathItem[method.toLowerCase()];
    return isObj(op) ? { key: `${method.toUpperCase()} ${template}`, op, pathItem, params } : null;
  }
  return null;
}

function parametersOf(f: Found): Obj[] {
  const list = [
    ...(Array.isArray(f.pathItem.parameters) ? f.pathItem.parameters : []),
    ...(Array.isArray(f.op.parameters) ? f.op.parameters : []),
  ];
  return list.map((p, i) => deref(p, `${f.key} parameter ${i}`));
}

function security(f: Found): string[] {
  const s = Array.isArray(f.op.security) ? f.op.security : Array.isArray(doc.security) ? doc.security : [];
  return s.flatMap((r) => (isObj(r) ? Object.keys(r) : []));
}

function jsonSchema(holder: unknown, where: string): Obj | null {
  if (holder === undefined) return null;
  const content = deref(holder, where).content;
  if (!isObj(content) || !isObj(content['application/json'])) return null;
  return deref(content['application/json'].schema, where);
}

/* A value for a schema, good enough for the client to read. */
function sample(schema: Obj): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (schema.type === 'string') return 'x';
  if (schema.type === 'integer' || schema.type === 'number') return 1;
  if (schema.type === 'boolean') return true;
  if (schema.type === 'array') return [];
  const out: Obj = {};
  for (const [k, v] of Object.entries(isObj(schema.properties) ? schema.properties : {})) out[k] = sample(deref(v, k));
  return out;
}

const SID = 'CA' + '0123456789abcdef'.repeat(2);

/* Each method of RamalClient that makes requests, called once. */
const CALLS: Record<string, (c: RamalClient) => Promise<unknown>> = {
  login: (c) => c.login('ana@example.com', 'pw', 'AC' + 'a'.repeat(32)),
  me: (c) => c.me(),
  token: (c) => c.token(),
  setStatus: (c) => c.setStatus('busy'),
  endWrapup: (c) => c.endWrapup(),
  hold: (c) => c.hold(SID),
  unhold: (c) => c.unhold(SID),
  getCall: (c) => c.getCall(SID),
  agents: (c) => c.agents(),
  setAgentStatus: (c) => c.setAgentStatus(3, 'offline'),
  eventsTicket: (c) => c.eventsTicket(),
  eventsUrl: (c) => c.eventsUrl('12'),
  logout: (c) => c.logout(),
  callbacks: (c) => c.callbacks('closed'),
  nextCallback: (c) => c.nextCallback(),
  assignCallback: (c) => c.assignCallback(3, 5),
  closeCallback: (c) => c.closeCallback(3, 'no-answer'),
  alerts: (c) => c.alerts(40),
  numbers: (c) => c.numbers(),
  searchNumbers: (c) => c.searchNumbers({ ddd: '11', type: 'mobile', contains: '3003', limit: 5 }),
  buyNumber: (c) => c.buyNumber({ phone_number: '+551130030001', bundle_sid: 'BU' + '0123456789abcdef'.repeat(2), label: 'Vendas' }),
  updateNumber: (c) => c.updateNumber('PN' + '0123456789abcdef'.repeat(2), { owner: null }),
  releaseNumber: (c) => c.releaseNumber('PN' + '0123456789abcdef'.repeat(2), true),
  alertRules: (c) => c.alertRules(),
  saveAlertRules: (c) =>
    c.saveAlertRules({ events: { voicemail: { channels: ['slack', 'whatsapp'], cooldown_s: 60 } }, quiet_hours: null }),
};
/* The methods that make no request of their own. */
const LOCAL = ['constructor', 'url', 'session', 'expiresAt', 'isSignedIn', 'events', 'request', 'send'];

function run(auth: AuthMode) {
  const problems: string[] = [];
  const reached = new Set<string>();
  const fetch: FetchLike = async (url, init) => {
    const f = findOp(init.method, url.replace('https://ramal.test', ''));
    if (!f) {
      problems.push(`${auth}: ${init.method} ${url} is not an operation of docs/openapi.yaml`);
      return { ok: false, status: 404, json: async () => null };
    }
    reached.add(f.key);
    const declared = parametersOf(f);
    const query = url.split('?')[1];
    if (query)
      for (const k of new URLSearchParams(query).keys())
        if (!declared.some((d) => d.in === 'query' && d.name === k)) problems.push(`${f.key}: query ?${k}= is not declared`);
    for (const [name, value] of Object.entries(f.params)) {
      const p = declared.find((d) => d.in === 'path' && d.name === name);
      const pattern = p && isObj(p.schema) ? deref(p.schema, name).pattern : undefined;
      if (!p) problems.push(`${f.key}: {${name}} is not declared`);
      else if (typeof pattern === 'string' && !new RegExp(pattern).test(value)) problems.push(`${f.key}: {${name}}=${value} fails ${pattern}`);
    }
    for (const h of Object.keys(init.headers)) {
      const l = h.toLowerCase();
      if (l === 'accept' || l === 'content-type') continue;
      if (l === 'authorization') {
        if (!security(f).includes('bearer')) problems.push(`${auth}: ${f.key} sends Authorization, which it does not take`);
        continue;
      }
      if (!declared.some((d) => d.in === 'header' && String(d.name).toLowerCase() === l))
        problems.push(`${auth}: ${f.key} sends header ${h}, not declared`);
    }
    const schema = jsonSchema(f.op.requestBody, f.key);
    if (init.body !== undefined) {
      const body: unknown = JSON.parse(init.body);
      const props = schema && isObj(schema.properties) ? schema.properties : null;
      if (!props || !isObj(body)) problems.push(`${f.key}: a body the operation does not take`);
      else {
        for (const k of Object.keys(body)) if (!(k in props)) problems.push(`${f.key}: field ${k} not in the request schema`);
        for (const k of Array.isArray(schema?.required) ? schema.required : [])
          if (!(String(k) in body)) problems.push(`${f.key}: required field ${String(k)} missing`);
      }
    } else if (schema && isObj(f.op.requestBody) && f.op.requestBody.required === true) {
      problems.push(`${f.key}: needs a body`);
    }
    const responses = obj(f.op.responses, f.key);
    const code = Object.keys(responses).find((c) => /^2\d\d$/.test(c)) ?? '200';
    const out = jsonSchema(responses[code], `${f.key} ${code}`);
    return { ok: true, status: Number(code), json: async () => (out ? sample(out) : null) };
  };
  return { problems, reached, fetch };
}

describe('the client and docs/openapi.yaml', () => {
  it('covers every request-making method of RamalClient here', () => {
    const methods = Object.getOwnPropertyNames(RamalClient.prototype).filter((m) => !LOCAL.includes(m));
    expect(methods.sort()).toEqual(Object.keys(CALLS).sort());
  });

  it.each(['bearer', 'cookie'] as const)('every request, signed in by %s, is an operation of the YAML as declared', async (auth) => {
    const r = run(auth);
    const client = new RamalClient({ baseUrl: 'https://ramal.test', auth, fetch: r.fetch });
    const urls: string[] = [];
    for (const [name, call] of Object.entries(CALLS)) {
      if (auth === 'cookie' && name === 'eventsTicket') continue; // cookie sessions need no ticket
      const v = await call(client).catch((e: unknown) => r.problems.push(`${auth}: ${name}: ${String(e)}`));
      if (name === 'eventsUrl' && typeof v === 'string') urls.push(v);
    }
    // The events URL: GET /api/events with declared query parameters.
    for (const u of urls) {
      const url = new URL(u);
      const f = findOp('GET', url.pathname);
      expect(f?.key).toBe('GET /api/events');
      const declared = parametersOf(f!).filter((d) => d.in === 'query').map((d) => d.name);
      for (const k of url.searchParams.keys()) if (!declared.includes(k)) r.problems.push(`${auth}: /api/events?${k}= is not declared`);
      r.reached.add('GET /api/events');
    }
    expect(r.problems).toEqual([]);
    if (auth === 'bearer') expect([...r.reached].sort()).toEqual([...allOps].sort());
  });

  it('every "/api/..." and "/token" string in src/ is a path of the YAML', () => {
    const found: string[] = [];
    const bad: string[] = [];
    for (const name of readdirSync(SRC)) {
      if (!/\.ts$/.test(name) || /\.test\.ts$|\.d\.ts$/.test(name)) continue;
      const sf = ts.createSourceFile(name, readFileSync(join(SRC, name), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && /^\/(api\/|api$|token$)/.test(n.text)) {
          found.push(n.text);
          if (!(n.text in specPaths)) bad.push(`${name}: ${n.text}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toContain('/api/login');
    expect(found).toContain('/api/events');
    expect(bad).toEqual([]);
  });
});
