import { randomUUID } from 'node:crypto';

/*
 * hyparquet and hyparquet-writer ship ES modules only. The service's image bundles its code with esbuild
 * (service/Dockerfile), which carries them in through the literal import() below: the image has no
 * node_modules to load them from at run time. Jest runs the code as CommonJS, where that import() becomes a
 * require() that fails on an ES module; there, and only when that failed, Node's own loader takes them from
 * node_modules, through a function text of its own (see local/import-esm.ts for why it must be unique).
 */
const nativeImport = new Function('specifier', `return import(specifier); // ${randomUUID()}`) as <T>(
  specifier: string,
) => Promise<T>;

export type Hyparquet = typeof import('hyparquet');
export type HyparquetWriter = typeof import('hyparquet-writer');

export async function loadHyparquet(): Promise<Hyparquet> {
  try {
    return await import('hyparquet');
  } catch {
    return nativeImport<Hyparquet>('hyparquet');
  }
}

export async function loadHyparquetWriter(): Promise<HyparquetWriter> {
  try {
    return await import('hyparquet-writer');
  } catch {
    return nativeImport<HyparquetWriter>('hyparquet-writer');
  }
}
