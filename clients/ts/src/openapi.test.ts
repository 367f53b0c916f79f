import { describe, expect, it } from 'vitest';
import { committed, generate } from '../scripts/gen-api-types.mjs';

describe('src/openapi.d.ts', () => {
  it('is what docs/openapi.yaml generates now (else run `npm run gen:api`)', async () => {
    const fresh = await generate();
    expect(fresh.length).toBeGreaterThan(1000);
    // A plain comparison: the diff vitest prints names the stale lines.
    expect(committed(), 'src/openapi.d.ts is stale: run `npm run gen:api` in clients/ts/ (or web/)').toBe(fresh);
  }, 30_000);
});
