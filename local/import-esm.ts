import { randomUUID } from 'node:crypto';

/**
 * An `import(specifier)` for packages that ship ES modules only (hyparquet, hyparquet-writer, pdf.js), in files
 * that jest compiles to CommonJS, where a written `import()` becomes require() and fails on them. Each caller
 * makes its own at load: V8 reuses a compiled function of the same text with the module loader of wherever it
 * was first made (under jest, another test file's sandbox, torn down by then), so every one has a text of its
 * own. Under Node and tsx it is the plain dynamic import.
 */
export function esmImporter(): <T>(specifier: string) => Promise<T> {
  return new Function('specifier', `return import(specifier); // ${randomUUID()}`) as <T>(
    specifier: string,
  ) => Promise<T>;
}
