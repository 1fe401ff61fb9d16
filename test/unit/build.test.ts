import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle, functionBuilds, loadTemplate } from '../../scripts/build.ts';

const builds = functionBuilds(await loadTemplate());
const outRoot = mkdtempSync(join(tmpdir(), 'eks-access-gate-build-'));
const byName = (name: string) => {
  const found = builds.find((fn) => fn.name === name);
  if (!found) throw new Error(`no function ${name} in template.yaml`);
  return found;
};

afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('scripts/build.ts', () => {
  it('reads the SAM esbuild properties as esbuild options', () => {
    const { options } = byName('execute-change');

    expect(options).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      sourcemap: true,
      outExtension: { '.js': '.mjs' },
    });
    expect(options.banner?.js).toContain('createRequire(import.meta.url)');
  });

  it('bundles a function as a non-empty ES module with a source map', async () => {
    const { file, bytes } = await bundle(byName('execute-change'), outRoot);
    const code = readFileSync(file, 'utf8');

    expect(file.endsWith(join('execute-change', 'handler.mjs'))).toBe(true);
    expect(bytes).toBeGreaterThan(10_000);
    expect(code).toMatch(/^import \{ createRequire \} from "module";/);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b/);
    expect(code).not.toMatch(/\bmodule\.exports\s*=/);
    expect(existsSync(`${file}.map`)).toBe(true);
  });

  it('loads a Cedar function bundle with the wasm where CEDAR_WASM_DIR says', async () => {
    const { file } = await bundle(byName('get-request'), outRoot);
    const wasmDir = join(
      process.cwd(),
      'node_modules/@cedar-policy/cedar-wasm/nodejs',
    );
    const previous = process.env.CEDAR_WASM_DIR;
    process.env.CEDAR_WASM_DIR = wasmDir;
    try {
      const loaded = await import(pathToFileURL(file).href);
      expect(typeof loaded.handler).toBe('function');
    } finally {
      if (previous === undefined) delete process.env.CEDAR_WASM_DIR;
      else process.env.CEDAR_WASM_DIR = previous;
    }
  });
});
