/**
 * `npm run build`: bundles every Lambda function with esbuild exactly as
 * `sam build` will, into `dist/<name>/handler.mjs`, and prints each
 * bundle's size. The esbuild options are read from each function's SAM
 * `Metadata.BuildProperties` in template.yaml, so the two cannot drift.
 *
 * Usage: `npm run build [-- <function-name> ...]`
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse, type Tags } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Wrap = (value: unknown) => unknown;

/** A parsed YAML collection, as a tag's resolve receives it. */
type JsonNode = { toJSON(): unknown };

const fn =
  (name: string): Wrap =>
  (value) => ({ [`Fn::${name}`]: value });
const INTRINSICS: Record<string, Wrap> = {
  Ref: (value) => ({ Ref: value }),
  Condition: (value) => ({ Condition: value }),
  GetAtt: (value) => ({
    'Fn::GetAtt': typeof value === 'string' ? value.split(/\.(.*)/s, 2) : value,
  }),
  ...Object.fromEntries(
    [
      'Sub',
      'If',
      'Join',
      'Split',
      'Select',
      'Equals',
      'Not',
      'And',
      'Or',
      'Contains',
      'FindInMap',
      'Base64',
      'Cidr',
      'ImportValue',
      'GetAZs',
      'EachMemberEquals',
      'EachMemberIn',
      'RefAll',
      'ValueOf',
      'ValueOfAll',
      'Transform',
    ].map((name) => [name, fn(name)]),
  ),
};

/**
 * YAML tags for CloudFormation's short-form intrinsics (`!Ref`, `!Sub`,
 * `!GetAtt`, `!If`, ...), each read as its long form (`{"Fn::If": [...]}`).
 */
export const cfnTags: Tags = Object.entries(INTRINSICS).flatMap(
  ([name, wrap]) => [
    { tag: `!${name}`, resolve: (value: string) => wrap(value) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (value: JsonNode) => wrap(value.toJSON()),
    },
    {
      tag: `!${name}`,
      collection: 'map' as const,
      resolve: (value: JsonNode) => wrap(value.toJSON()),
    },
  ],
);

/** A CloudFormation template as plain data. */
export interface Template {
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<
    string,
    {
      Type: string;
      Condition?: string;
      Metadata?: Record<string, unknown>;
      Properties?: Record<string, unknown>;
    }
  >;
  Outputs?: Record<string, { Value: unknown }>;
}

/** Parses a CloudFormation/SAM YAML template, short-form tags included. */
export function parseTemplate(text: string): Template {
  return parse(text, { customTags: cfnTags, maxAliasCount: -1 }) as Template;
}

export async function loadTemplate(
  path = join(ROOT, 'template.yaml'),
): Promise<Template> {
  return parseTemplate(await readFile(path, 'utf8'));
}

/** One function SAM bundles with esbuild. */
export interface FunctionBuild {
  /** `functions/<name>/handler.ts` gives the name. */
  name: string;
  logicalId: string;
  options: BuildOptions;
}

/** `['a=b', ...]` (SAM's list form) to `{a: 'b'}`. */
function pairs(value: unknown, property: string): Record<string, string> {
  if (!Array.isArray(value)) throw new Error(`${property} must be a list`);
  return Object.fromEntries(
    value.map((item) => {
      const text = String(item);
      const at = text.indexOf('=');
      if (at < 1) throw new Error(`${property}: "${text}" is not key=value`);
      return [text.slice(0, at), text.slice(at + 1)];
    }),
  );
}

/**
 * SAM's esbuild BuildProperties as esbuild options. SAM bundles for
 * platform node; a property this function does not know is an error, so
 * the local build never silently differs from `sam build`.
 */
export function esbuildOptions(
  properties: Record<string, unknown>,
  root = ROOT,
): BuildOptions {
  const options: BuildOptions = { bundle: true, platform: 'node' };
  for (const [key, value] of Object.entries(properties)) {
    switch (key) {
      case 'Format':
        options.format = value as NonNullable<BuildOptions['format']>;
        break;
      case 'Minify':
        options.minify = value === true;
        break;
      case 'Sourcemap':
        options.sourcemap = value === true;
        break;
      case 'Target':
        options.target = String(value);
        break;
      case 'EntryPoints':
        options.entryPoints = (value as string[]).map((entry) =>
          resolve(root, entry),
        );
        break;
      case 'OutExtension':
        options.outExtension = pairs(value, key);
        break;
      case 'Banner':
        options.banner = pairs(value, key);
        break;
      case 'Footer':
        options.footer = pairs(value, key);
        break;
      case 'External':
        options.external = value as string[];
        break;
      case 'Loader':
        options.loader = pairs(value, key) as NonNullable<
          BuildOptions['loader']
        >;
        break;
      case 'MainFields':
        options.mainFields = value as string[];
        break;
      default:
        throw new Error(`BuildProperties.${key} is not supported here`);
    }
  }
  return options;
}

/** Every function of the template that SAM builds with esbuild. */
export function functionBuilds(
  template: Template,
  root = ROOT,
): FunctionBuild[] {
  return Object.entries(template.Resources)
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::Serverless::Function' &&
        resource.Metadata?.BuildMethod === 'esbuild',
    )
    .map(([logicalId, resource]) => {
      const properties = (resource.Metadata?.BuildProperties ?? {}) as Record<
        string,
        unknown
      >;
      const entry = (properties.EntryPoints as string[] | undefined)?.[0];
      const name = entry?.match(/^functions\/([^/]+)\/handler\.ts$/)?.[1];
      if (name === undefined) {
        throw new Error(
          `${logicalId}: EntryPoints must be functions/<name>/handler.ts`,
        );
      }
      return { name, logicalId, options: esbuildOptions(properties, root) };
    });
}

/** Bundles one function into `<outRoot>/<name>/`; returns the bundle path. */
export async function bundle(
  fn: FunctionBuild,
  outRoot: string,
): Promise<{ file: string; bytes: number }> {
  const outdir = join(outRoot, fn.name);
  await rm(outdir, { recursive: true, force: true });
  await build({ ...fn.options, outdir, logLevel: 'silent' });
  const extension = fn.options.outExtension?.['.js'] ?? '.js';
  const file = join(outdir, `handler${extension}`);
  return { file, bytes: (await stat(file)).size };
}

async function main(names: string[]): Promise<void> {
  const builds = functionBuilds(await loadTemplate());
  const unknown = names.filter((name) => !builds.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(`No such function in template.yaml: ${unknown.join(', ')}`);
  }
  const chosen =
    names.length === 0 ? builds : builds.filter((b) => names.includes(b.name));
  const outRoot = join(ROOT, 'dist');
  let failed = 0;
  for (const fn of chosen) {
    try {
      const { bytes } = await bundle(fn, outRoot);
      const kib = (bytes / 1024).toFixed(1).padStart(8);
      console.log(`${kib} KiB  dist/${fn.name}/handler.mjs`);
    } catch (error) {
      failed += 1;
      console.error(`FAILED   ${fn.name}: ${(error as Error).message}`);
    }
  }
  if (failed > 0) {
    throw new Error(`${failed} of ${chosen.length} functions failed to build`);
  }
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
