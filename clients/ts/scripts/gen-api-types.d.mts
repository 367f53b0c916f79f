/*
 * What gen-api-types.mjs exports, for the tests that import it (the
 * script is JavaScript run by node as is; declaring it here keeps
 * openapi-typescript's own declarations, which reference packages it does
 * not install, out of the type-checked program).
 */
/** docs/openapi.yaml. */
export declare const SPEC: URL;
/** src/openapi.d.ts. */
export declare const OUTPUT: URL;
/** The generated TypeScript for the current docs/openapi.yaml. */
export declare function generate(): Promise<string>;
/** The committed file ('' when it does not exist yet). */
export declare function committed(): string;
