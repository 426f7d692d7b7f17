import pino from 'pino';
import { Readiness } from './readiness';

describe(Readiness.name, () => {
  it('says which dependency is down, not the driver message, and logs the reason once per change', async () => {
    const logged: { msg: string; err?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string; err?: string }) });
    const readiness = new Readiness();
    readiness.logTo(logger);
    let mysqlUp = false;
    readiness.register('mysql', async () => {
      if (!mysqlUp) throw new Error("Access denied for user 'audx'@'10.1.2.3' (using password: YES)");
    });
    readiness.register('kafka', async () => undefined);
    expect(await readiness.evaluate()).toEqual({ ready: false, checks: { mysql: 'down', kafka: 'ok' } });
    expect(JSON.stringify(await readiness.evaluate())).not.toContain('Access denied');
    mysqlUp = true;
    expect(await readiness.evaluate()).toEqual({ ready: true, checks: { mysql: 'ok', kafka: 'ok' } });
    expect(logged.map((l) => l.msg)).toEqual(['dependency down', 'dependency back']);
    expect(logged[0].err).toContain('Access denied');
  });
});
