import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openNoFollow, ownedFolder, readSmallFile, writeFileNoFollow } from './owned-folders';

describe('owned folders', () => {
  let root: string;
  let org: string;
  let elsewhere: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-owned-'));
    org = path.join(root, 'ORG1');
    elsewhere = path.join(root, 'ORG2');
    fs.mkdirSync(org);
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'secret.txt'), 'of another org');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates a missing folder and answers an existing real one', async () => {
    expect(await ownedFolder(org, 'done')).toBe(path.join(org, 'done'));
    expect(fs.lstatSync(path.join(org, 'done')).isDirectory()).toBe(true);
    expect(await ownedFolder(org, 'done')).toBe(path.join(org, 'done'));
  });

  it('refuses a link (to a parent, to another org) or a file where a folder should be', async () => {
    fs.symlinkSync('..', path.join(org, '.processing'));
    fs.symlinkSync(elsewhere, path.join(org, 'done'));
    fs.writeFileSync(path.join(org, 'failed'), 'x');
    expect(await ownedFolder(org, '.processing')).toBeNull();
    expect(await ownedFolder(org, 'done')).toBeNull();
    expect(await ownedFolder(org, 'failed')).toBeNull();
  });

  it('reads and opens without following a link, and caps what is read whole', async () => {
    fs.symlinkSync(path.join(elsewhere, 'secret.txt'), path.join(org, 'a.info'));
    await expect(readSmallFile(path.join(org, 'a.info'), 1000)).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(openNoFollow(path.join(org, 'a.info'))).rejects.toMatchObject({ code: 'ELOOP' });
    fs.writeFileSync(path.join(org, 'b.info'), 'x'.repeat(2000));
    expect(await readSmallFile(path.join(org, 'b.info'), 1000)).toBeNull();
    expect(await readSmallFile(path.join(org, 'b.info'), 4000)).toBe('x'.repeat(2000));
  });

  it('writes a file whole, replacing a planted link instead of writing through it', async () => {
    fs.symlinkSync(path.join(elsewhere, 'secret.txt'), path.join(org, 'r.receipt.json'));
    await writeFileNoFollow(org, 'r.receipt.json', '{"ok":true}');
    expect(fs.readFileSync(path.join(elsewhere, 'secret.txt'), 'utf8')).toBe('of another org');
    expect(fs.lstatSync(path.join(org, 'r.receipt.json')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(org, 'r.receipt.json'), 'utf8')).toBe('{"ok":true}');
    expect(fs.readdirSync(org).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
