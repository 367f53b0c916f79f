/*
 * No `any` in web/: every tsconfig is strict (noImplicitAny with it), and
 * no source file spells the type `any` — in TypeScript or in the JSDoc of
 * the checked JavaScript (the e2e script).  Read with the
 * TypeScript parser, so comments and strings do not count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = ['tsconfig.json', 'tsconfig.node.json', 'e2e/tsconfig.json'];

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|tsx|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

function anys(file: string, text = readFileSync(file, 'utf8')): string[] {
  const kind = /\.tsx$/.test(file) ? ts.ScriptKind.TSX : /\.m?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.AnyKeyword || n.kind === ts.SyntaxKind.JSDocAllType) {
      const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      found.push(`${relative(WEB, file)}:${line + 1}: ${text.split('\n')[line].trim()}`);
    }
    for (const doc of ts.getJSDocCommentsAndTags(n)) if (doc.parent === n) ts.forEachChild(doc, visit);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('no any', () => {
  it.each(CONFIGS)('%s is strict, noImplicitAny included', (name) => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(WEB, name), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    expect(parsed?.errors ?? []).toEqual([]);
    expect(parsed?.options.strict).toBe(true);
    expect(parsed?.options.noImplicitAny).not.toBe(false);
    expect(parsed?.fileNames.length).toBeGreaterThan(0);
  });

  it('no source file in src/ or e2e/ writes `any` (clients/ts checks its own)', () => {
    const files = ['src', 'e2e'].flatMap((d) => sources(join(WEB, d)));
    expect(files.length).toBeGreaterThan(20);
    expect(files.flatMap((f) => anys(f))).toEqual([]);
  });

  it('the check sees an `any` when there is one', () => {
    const probe = (src: string, ext: string) => anys(join(WEB, 'probe' + ext), src).length;
    expect(probe('const a = 1 as any; // any\n', '.ts')).toBe(1);
    expect(probe('let b: Array<any> = []; const s = "any";\n', '.ts')).toBe(1);
    expect(probe('/** @type {any} */\nconst c = 1;\n/** @param {*} d */\nfunction f(d) { return d; }\n', '.mjs')).toBe(2);
    expect(probe('// any\nconst e: unknown = 1;\n', '.ts')).toBe(0);
  });
});
