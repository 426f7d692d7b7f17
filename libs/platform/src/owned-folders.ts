import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Tenant folders (the drop folder's `<INBOX_DIR>/<org>/`, the outbound `<OUTBOX_DIR>/<org>/`) are
 * writable by their org: anything in them may be a link an attacker planted to reach another
 * org's folder or the service's own files. These helpers never follow one.
 */

/**
 * `parent/name` as a real directory (created when missing, never through a link), or null when
 * something else sits there: a link, a file. `parent` must already be a folder checked the same way.
 */
export async function ownedFolder(parent: string, name: string): Promise<string | null> {
  const dir = path.join(parent, name);
  let stat = await fs.promises.lstat(dir).catch(() => null);
  if (!stat) {
    await fs.promises.mkdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    stat = await fs.promises.lstat(dir).catch(() => null);
  }
  if (!stat || stat.isSymbolicLink() || !stat.isDirectory()) return null;
  // the folder found is the one asked for (no link on the way to it, whatever happened meanwhile)
  const [real, realParent] = await Promise.all([fs.promises.realpath(dir), fs.promises.realpath(parent)]);
  return real === path.join(realParent, name) ? dir : null;
}

/** Opens a regular file for reading without following a link (ELOOP), or throws. */
export async function openNoFollow(file: string): Promise<fs.promises.FileHandle> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw Object.assign(new Error(`${path.basename(file)} is not a regular file`), { code: 'ENOTREG' });
  }
  return handle;
}

/** A whole small file (an `.info`), without following a link; null when it is larger than `maxBytes`. */
export async function readSmallFile(file: string, maxBytes: number): Promise<string | null> {
  const handle = await openNoFollow(file);
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return null;
    const buf = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buf, 0, size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes `dir/name` whole without ever writing through a link: into a new file of a random name
 * (O_EXCL: never an existing file or link), then renamed over `name` (a rename replaces a link,
 * it does not follow it).
 */
export async function writeFileNoFollow(dir: string, name: string, content: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.promises.writeFile(tmp, content, { flag: 'wx' });
  try {
    await fs.promises.rename(tmp, path.join(dir, name));
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
