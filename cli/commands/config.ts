import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * What `latchkey login` keeps: the server, a credential — a token, or (after `login --email`) a
 * console session cookie — and the default org.
 */
export interface CliConfig {
  url?: string;
  token?: string;
  /** A console session cookie (`lk_session=…`), for the calls that need a signed-in person. */
  session?: string;
  org?: string;
}

/** `$XDG_CONFIG_HOME/latchkey/config.json`, or `~/.config/latchkey/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'latchkey', 'config.json');
}

export async function readConfig(path: string = configPath()): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) return {};
  const record = parsed as Record<string, unknown>;
  const config: CliConfig = {};
  if (typeof record.url === 'string') config.url = record.url;
  if (typeof record.token === 'string') config.token = record.token;
  if (typeof record.session === 'string') config.session = record.session;
  if (typeof record.org === 'string') config.org = record.org;
  return config;
}

/** Writes the file with mode 0600 (and its directory 0700): it holds a credential. */
export async function writeConfig(config: CliConfig, path: string = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function removeConfig(path: string = configPath()): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
