/*
 * No `any` in the client: both tsconfigs are strict, and no source file
 * (sources, tests, scripts' JSDoc) spells the type `any`.  Read with the
 * TypeScript parser, so comments and strings do not count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function anys(file: string, text = readFileSync(file, 'utf8')): string[] {
  const kind = /\.mjs$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.AnyKeyword || n.kind === ts.SyntaxKind.JSDocAllType) {
      const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      found.push(`${relative(ROOT, file)}:${line + 1}: ${text.split('\n')[line].trim()}`);
    }
    for (const doc of ts.getJSDocCommentsAndTags(n)) if (doc.parent === n) ts.forEachChild(doc, visit);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('no any', () => {
  it.each(['tsconfig.json', 'tsconfig.test.json', 'tsconfig.build.json'])('%s is strict', (name) => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, name), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    expect(parsed?.errors ?? []).toEqual([]);
    expect(parsed?.options.strict).toBe(true);
    expect(parsed?.options.noImplicitAny).not.toBe(false);
  });

  it('no file in src/ or scripts/ writes `any` (and the check sees one)', () => {
    const files = ['src', 'scripts'].flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => anys(f))).toEqual([]);
    expect(anys(join(ROOT, 'probe.ts'), 'const a = 1 as any; // any\n')).toHaveLength(1);
  });
});
