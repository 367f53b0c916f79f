// @ts-check
/*
 * src/openapi.d.ts from docs/openapi.yaml, with openapi-typescript: the one
 * copy of the API's types, used by this client and, through it, by web/.
 *
 *   node scripts/gen-api-types.mjs          write the file (npm run gen:api,
 *                                           here or in web/)
 *   node scripts/gen-api-types.mjs --check  exit 1 when the file is stale
 *
 * src/openapi.test.ts calls generate() too and fails when the committed
 * file differs from what docs/openapi.yaml makes now.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';

export const SPEC = new URL('../../../docs/openapi.yaml', import.meta.url);
export const OUTPUT = new URL('../src/openapi.d.ts', import.meta.url);

/** The generated TypeScript for the current docs/openapi.yaml. */
export async function generate() {
  return COMMENT_HEADER + astToString(await openapiTS(SPEC, { silent: true }));
}

/** The committed file ('' when it does not exist yet). */
export function committed() {
  try {
    return readFileSync(OUTPUT, 'utf8');
  } catch {
    return '';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    if (committed() !== text) {
      console.error('clients/ts/src/openapi.d.ts is stale: run `npm run gen:api` in clients/ts/ (or web/)');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(OUTPUT, text, 'utf8');
    console.log('wrote ' + fileURLToPath(OUTPUT));
  }
}
