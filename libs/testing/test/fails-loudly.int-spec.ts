import { spawnSync } from 'node:child_process';
import { repoRoot } from '../src/stack';

describe('integration runs without their services', () => {
  it('fail under CI=true, loudly, instead of skipping', () => {
    const r = spawnSync(process.execPath, ['node_modules/.bin/jest', '--selectProjects', 'integration', '--ci', '--', 'libs/platform/test'], {
      cwd: repoRoot,
      env: { ...process.env, CI: 'true', MYSQL_URL: 'mysql://root@127.0.0.1:1', AUDX_MYSQL_WAIT_S: '1', AUDX_TEST_NAMESPACE: '' },
      encoding: 'utf8',
      timeout: 120000,
    });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/MySQL did not answer at mysql:\/\/root@127.0.0.1:1/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Tests:.*passed/);
  });
});
