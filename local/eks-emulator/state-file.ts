import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type DecodedState, decodeState } from './state-codec.ts';

/** A state file that exists but cannot be used; names the file. */
export class StateFileError extends Error {
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(
      `eks-emulator state file ${file} is corrupt: ${problem}. Delete it ` +
        '(or start the local stack with --fresh) to start from the seed.',
      options,
    );
    this.name = 'StateFileError';
    this.file = file;
  }
}

/**
 * Reads a state file at start-up; `undefined` when there is none yet.
 * Synchronous so that creating an emulator stays synchronous.
 */
export function readStateFile(file: string): DecodedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return decodeState(text);
  } catch (error) {
    throw new StateFileError(file, (error as Error).message, {
      cause: error,
    });
  }
}

/**
 * Writes the emulator's state to one file, one write at a time. A save
 * asked for while a write runs waits for it and then writes the state as
 * it is by then; saves asked for while one waits share it. So the last
 * write always starts after the last change, and no two overlap.
 */
export class StateFileWriter {
  readonly file: string;
  readonly #encode: () => string;
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  /** `encode` is called when a write starts, to capture the state then. */
  constructor(file: string, encode: () => string) {
    this.file = resolve(file);
    this.#encode = encode;
  }

  /** Resolves once a write that began after this call has finished. */
  save(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return writeAtomically(this.file, this.#encode());
      });
    this.#queued = next;
    this.#running = next;
    return next;
  }

  /** Resolves once every save asked for so far has finished (or failed). */
  async flush(): Promise<void> {
    await this.#running.catch(() => undefined);
  }
}

// Readers see the old file or the new one, never a part of either: the
// text goes to a sibling temporary file, reaches the disk, then replaces
// the file in one rename (atomic within a file system).
async function writeAtomically(file: string, text: string): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true });
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const temporary = join(folder, `.${basename(file)}.${suffix}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
