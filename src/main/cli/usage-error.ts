/**
 * What the commands share about bad input: a UsageError is the user's mistake (exit 2 with the message and what to
 * do), and a JSON file the user names is read with the errors they can act on.
 */
import { readFile } from 'node:fs/promises';

export class UsageError extends Error {}

/** Parse the JSON file the user named: an unreadable path or invalid JSON is a UsageError naming the file. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`'${file}' is not valid JSON: ${(e as Error).message}.`);
  }
}
