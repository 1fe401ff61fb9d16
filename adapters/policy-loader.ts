import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCedarPolicyEngine } from '../core/policy/cedar-engine.ts';
import { PolicySetError } from '../core/policy/policy-set.ts';
import type { PolicyEngine } from '../core/policy.ts';

/** `policies/` beside this folder: the default policy set. */
export const defaultPolicyDir = fileURLToPath(
  new URL('../policies/', import.meta.url),
);

/** Where the local stack writes the entities it derives from its seed. */
export const defaultEntitiesFile = fileURLToPath(
  new URL('../.local/policy-entities.json', import.meta.url),
);

/** The schema's file name inside a policy folder. */
export const schemaFileName = 'schema.cedarschema';

/** A policy folder's contents, file paths as keys. */
export interface PolicyFiles {
  /** `<dir>/<name>.cedar` -> text, sorted by name. */
  policies: Record<string, string>;
  schemaText: string;
  schemaFile: string;
}

/**
 * Reads every `*.cedar` file of a folder and its `schema.cedarschema`.
 *
 * @throws PolicySetError naming the folder when either is missing.
 */
export async function readPolicyDir(dir: string): Promise<PolicyFiles> {
  const names = await readdir(dir).catch((cause: unknown) => {
    throw new PolicySetError([
      { file: dir, message: `cannot read the policy folder: ${cause}` },
    ]);
  });
  const cedarFiles = names.filter((name) => name.endsWith('.cedar')).sort();
  if (cedarFiles.length === 0) {
    throw new PolicySetError([{ file: dir, message: 'no *.cedar files' }]);
  }
  const schemaFile = join(dir, schemaFileName);
  if (!names.includes(schemaFileName)) {
    throw new PolicySetError([{ file: schemaFile, message: 'missing' }]);
  }
  const texts = await Promise.all(
    cedarFiles.map((name) => readFile(join(dir, name), 'utf8')),
  );
  return {
    policies: Object.fromEntries(
      cedarFiles.map((name, i) => [join(dir, name), texts[i] ?? '']),
    ),
    schemaText: await readFile(schemaFile, 'utf8'),
    schemaFile,
  };
}

/**
 * Reads a Cedar entities JSON file.
 *
 * @throws PolicySetError naming the file when it is missing or not JSON.
 */
export async function readEntitiesFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PolicySetError([
      {
        file: path,
        message:
          `cannot read the policy entities (${cause}); start the local ` +
          'stack to write it, or set POLICY_ENTITIES_FILE',
      },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new PolicySetError([{ file: path, message: `not JSON: ${cause}` }]);
  }
}

/** Builds an engine from a policy folder and an entities file. */
export async function buildPolicyEngine(
  dir: string,
  entities: unknown,
  entitiesFile?: string,
): Promise<PolicyEngine> {
  const files = await readPolicyDir(dir);
  return createCedarPolicyEngine({
    policiesText: files.policies,
    schemaText: files.schemaText,
    schemaFile: files.schemaFile,
    entities,
    ...(entitiesFile === undefined ? {} : { entitiesFile }),
  });
}

const engines = new Map<string, Promise<PolicyEngine>>();

/**
 * The policy engine for this process. Reading the files, loading the wasm
 * and parsing the policies happen once per folder and entities file, so a
 * Lambda pays for them on its cold start only. A failed load is forgotten,
 * so the next call tries again instead of repeating the error forever.
 *
 * @param dir - policy folder; `POLICY_DIR`, else the repository's
 *   `policies/`.
 * @param entitiesFile - Cedar entities JSON; `POLICY_ENTITIES_FILE`, else
 *   `.local/policy-entities.json` as the local stack writes it.
 * @throws PolicySetError naming the file that does not parse or validate.
 */
export function loadPolicyEngine(
  dir = process.env.POLICY_DIR ?? defaultPolicyDir,
  entitiesFile = process.env.POLICY_ENTITIES_FILE ?? defaultEntitiesFile,
): Promise<PolicyEngine> {
  const key = JSON.stringify([dir, entitiesFile]);
  const cached = engines.get(key);
  if (cached) return cached;
  const loading = readEntitiesFile(entitiesFile).then((entities) =>
    buildPolicyEngine(dir, entities, entitiesFile),
  );
  engines.set(key, loading);
  loading.catch(() => engines.delete(key));
  return loading;
}
