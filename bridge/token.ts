// The long-lived pairing token: where it comes from, kept where only the user can read it
// (docs/security.md, "Pairing"). Never from a command line: any local user reads those with `ps`.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, writeSync, constants } from 'node:fs';

/** A fresh token: 128 random bits. */
export const newToken = (): string => randomBytes(16).toString('hex');

/**
 * The token in `path`, or a new one written there when the file does not exist (created 0600, so that
 * a bridge started again with the same file pairs with the pages of the last). A file that other users
 * may read or write is refused: they would hold the token too.
 */
export function tokenFromFile(path: string): string {
  let fd: number;
  let created = false;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`--token-file ${path}: ${(err as Error).message}`);
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      throw new Error(`--token-file ${path}: ${(e as Error).message}`);
    }
  }
  try {
    if (created) {
      const token = newToken();
      writeSync(fd, `${token}\n`);
      return token;
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`--token-file ${path}: not a file`);
    if (stat.mode & 0o077) {
      throw new Error(`--token-file ${path}: other users may read or change it (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new Error(`--token-file ${path}: owned by another user`);
    }
    const token = readFileSync(fd, 'utf8').trim();
    if (token.length < 16) throw new Error(`--token-file ${path}: holds ${token ? 'a token shorter than 16 characters' : 'no token'}`);
    return token;
  } finally {
    closeSync(fd);
  }
}
