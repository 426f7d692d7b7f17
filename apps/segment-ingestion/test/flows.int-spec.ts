import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pino from 'pino';
import { Topics } from '@audx/contracts';
import { EventProducer, TopicNamer, createKafka } from '@audx/messaging';
import { json, ServiceProcess, testEnv, testKafkaSasl, Tenant, TestStack, waitFor } from '@audx/testing';
import { ChunkCollector, vid } from './support';

type ImportView = { importId: string; status: string; source: string; receipt: Record<string, number>; reconciliation: Record<string, unknown> | null; fileName: string | null };

async function gauge(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(new RegExp(`^${name}\\S* (\\S+)$`, 'm').exec(text)![1]);
}

describe('segment-ingestion flows: drop folder, stream, completion, crashes, memory', () => {
  const inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-inbox-'));
  let stack: TestStack;
  let t: Tenant;
  let url: string;
  let producer: EventProducer;
  const chunks = new ChunkCollector();

  beforeAll(async () => {
    // A small old space: a service that buffered uploads would die here rather than pass.
    stack = await TestStack.start(['segment-ingestion'], { INBOX_DIR: inbox, INBOX_SCAN_MS: '200', INBOX_BATCH_WAIT_SECONDS: '3', IMPORT_STALE_SECONDS: '5', STREAM_FLUSH_MS: '100', NODE_OPTIONS: '--max-old-space-size=160' });
    url = stack.url('segment-ingestion');
    t = await stack.ims.tenant('flows');
    const env = testEnv();
    const namer = new TopicNamer(env.namespace);
    producer = new EventProducer(createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'flows-test', namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' })), namer, 'flows-test');
    await producer.connect();
    await chunks.start();
  });

  afterAll(async () => {
    await chunks.stop();
    await producer.disconnect();
    await stack.stop();
    fs.rmSync(inbox, { recursive: true, force: true });
  });

  const imports = async () => (await json<{ items: ImportView[] }>(await fetch(`${url}/v1/imports?limit=200`, { headers: t.headers }))).items;

  it('completes an import with the match figures when segment.reconciled arrives', async () => {
    const res = await fetch(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...t.headers, 'content-type': 'text/plain' }, body: `${vid(1)} 24\n${vid(2)} 24\n` });
    const { importId } = await json<ImportView>(res);
    await producer.publish(Topics.segmentReconciled, t.orgId, { importId, matched: 1, unmatched: 1, invalid: 0, lists: [{ listId: 'lst_x', segmentId: '24', size: 1, added: 1, removed: 0 }] });
    const done = await waitFor(async () => {
      const v = await json<ImportView>(await fetch(`${url}/v1/imports/${importId}`, { headers: t.headers }));
      return v.status === 'completed' && v;
    }, { what: 'completed' });
    expect(done.reconciliation).toMatchObject({ matched: 1, unmatched: 1, matchRate: 0.5 });
  });

  it('follows datasource.changed: a record adds a data source, a Kafka tombstone (null value) removes it', async () => {
    const own = await stack.ims.tenant('flows-datasources');
    const upload = () => fetch(`${url}/v1/imports?format=ndjson&dataSource=tomb-src`, {
      method: 'POST',
      headers: { ...own.headers, 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({ userId: 'crm-1', add: ['24'], remove: [] }) + '\n',
    });
    const record = { label: 'tombstoned', kind: 'declared' as const, reconciliationKey: 'crmId', dpid: 5151, destinationId: null, alias: null, hash: 'none' as const, encrypted: false, priority: 1, exportControls: [] };
    await producer.publish(Topics.datasourceChanged, own.orgId, { name: 'tomb-src', record });
    await waitFor(async () => (await upload()).status === 202, { what: 'data source replicated' });
    await producer.tombstone(Topics.datasourceChanged, own.orgId, 'tomb-src');
    await waitFor(async () => (await upload()).status === 422, { what: 'data source removed by the tombstone' });
    const refused = await upload();
    expect((await json<{ error: { message: string } }>(refused)).error.message).toBe("unknown data source 'tomb-src'");
  });

  it('routes an AAM file by its DPID to the data source of highest priority when several share it', async () => {
    const own = await stack.ims.tenant('flows-dpid-priority');
    const record = (priority: number) => ({ label: `p${priority}`, kind: 'declared' as const, reconciliationKey: 'crmId', dpid: 6262, destinationId: null, alias: null, hash: 'none' as const, encrypted: false, priority, exportControls: [] });
    let last = '';
    const routedTo = async () => {
      const res = await fetch(`${url}/v1/imports?fileName=S3_4242_6262_iter_1764489600000.sync`, { method: 'POST', headers: { ...own.headers, 'content-type': 'text/plain' }, body: 'crm-1 24\n' });
      last = `${res.status} ${res.status === 202 ? '' : await res.text()}`;
      return res.status === 202 ? (await json<{ importId: string }>(res)).importId : null;
    };
    const dataSourceOf = async (importId: string) => (await json<{ dataSource: string }>(await fetch(`${url}/v1/imports/${importId}`, { headers: own.headers }))).dataSource;
    await producer.publish(Topics.datasourceChanged, own.orgId, { name: 'a-low', record: record(1) });
    await producer.publish(Topics.datasourceChanged, own.orgId, { name: 'z-high', record: record(5) });
    // by name alone 'a-low' would come first: the priority decides
    const first = await waitFor(async () => {
      const id = await routedTo();
      return id !== null && (await dataSourceOf(id)) === 'z-high' && id;
    }, { what: 'routed to the higher priority' }).catch((err: unknown) => {
      throw new Error(`${String(err)} (last answer: ${last})`);
    });
    expect(first).toBeTruthy();
    await producer.publish(Topics.datasourceChanged, own.orgId, { name: 'a-low', record: record(9) });
    await waitFor(async () => {
      const id = await routedTo();
      return id !== null && (await dataSourceOf(id)) === 'a-low';
    }, { what: 'routed anew once the priority changed' });
  });

  it('turns a segment.membership burst into an import within a second', async () => {
    const started = Date.now();
    const events = Array.from({ length: 300 }, (_, i) => ({ dataSource: 'defaultDataSource', userId: vid(5000 + (i % 100)), segmentId: String(90 + (i % 3)), status: i % 7 === 0 ? ('exited' as const) : ('realized' as const), observedAt: new Date().toISOString() }));
    for (const e of events) await producer.publish(Topics.segmentMembership, t.orgId, e, { headers: { authorization: `Bearer ${t.token}` } });
    const streamed = await waitFor(async () => {
      const all = (await imports()).filter((i) => i.source === 'stream');
      const records = all.reduce((n, i) => n + (i.receipt?.recordsReceived ?? 0), 0);
      const handedOn = all.every((i) => chunks.chunks(i.importId).some((c) => c.last));
      return records === 300 && handedOn && all;
    }, { timeoutMs: 10000, what: 'streamed imports' });
    expect(Date.now() - started).toBeLessThan(5000);
    const total = streamed.reduce((n, i) => n + i.receipt.recordsReceived, 0);
    expect(total).toBe(300);
    const last = streamed.map((i) => chunks.chunks(i.importId)).flat().filter((c) => c.last);
    expect(last.length).toBe(streamed.length);
    // the consumer says how far behind it is, per topic: caught up, and its last slice waited under a few seconds
    const metrics = await (await fetch(`${stack.service('segment-ingestion').url}/metrics`)).text();
    expect(metrics).toMatch(/^audx_consumer_backlog_messages\{[^}]*topic="segment\.membership"[^}]*\} 0$/m);
    const lag = Number(/^audx_consumer_lag_seconds\{[^}]*topic="segment\.membership"[^}]*\} (\S+)$/m.exec(metrics)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
  });

  it('imports a .info batch only when its late second file arrives, and fails one with a wrong md5', async () => {
    const dir = path.join(inbox, t.orgId);
    fs.mkdirSync(dir, { recursive: true });
    const f1 = 'S3_777_100000_iter_1764489600000-1.sync';
    const f2 = 'S3_777_100000_iter_1764489600000-2.sync';
    const c1 = `${vid(10)} 24\n${vid(11)} 24\n`;
    const c2 = `${vid(12)} 25\n`;
    // AAM's transfer-control entry, as the marketing cloud writes it
    const entry = (name: string, content: string) => ({ FileName: name, FileByteSize: Buffer.byteLength(content), FileLineCount: content.split('\n').filter(Boolean).length, md5: createHash('md5').update(content).digest('hex') });
    fs.writeFileSync(path.join(dir, 'S3_777_100000_iter_1764489600000.info'), JSON.stringify({ Files: [entry(f1, c1), entry(f2, c2)], Totals: { FileName: 'S3_777_100000_iter_1764489600000.sync', TotalFileCount: 2 } }));
    fs.writeFileSync(path.join(dir, f1), c1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await imports()).find((i) => i.source === 'inbox')).toBeUndefined();
    fs.writeFileSync(path.join(dir, f2), c2);
    // listed from its first moment; its receipt is final once every line is handed on
    const batch = await waitFor(async () => (await imports()).find((i) => i.source === 'inbox' && i.status !== 'receiving'), { what: 'inbox import handed on' });
    expect(batch.receipt.recordsReceived).toBe(3);
    await waitFor(() => fs.existsSync(path.join(dir, 'done', 'S3_777_100000_iter_1764489600000.receipt.json')), { what: 'receipt beside the batch' });
    expect(fs.readdirSync(path.join(dir, 'done')).sort()).toEqual([f1, f2, 'S3_777_100000_iter_1764489600000.info', 'S3_777_100000_iter_1764489600000.receipt.json'].sort());

    const g1 = 'S3_777_100000_iter_1764489700000-1.sync';
    fs.writeFileSync(path.join(dir, g1), c1);
    fs.writeFileSync(path.join(dir, 'S3_777_100000_iter_1764489700000.info'), JSON.stringify({ Files: [{ ...entry(g1, c1), md5: '0'.repeat(32) }] }));
    const receipt = path.join(dir, 'failed', 'S3_777_100000_iter_1764489700000.receipt.json');
    await waitFor(() => fs.existsSync(receipt), { what: 'failed batch' });
    expect(JSON.parse(fs.readFileSync(receipt, 'utf8')).error).toMatch(/md5 .* does not match/);
    fs.writeFileSync(path.join(dir, 'escape.info'), JSON.stringify({ Files: [{ FileName: '../../etc/passwd', FileByteSize: 1, md5: '0'.repeat(32) }] }));
    await waitFor(() => fs.existsSync(path.join(dir, 'failed', 'escape.receipt.json')), { what: 'refused name' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'failed', 'escape.receipt.json'), 'utf8')).error).toMatch(/refused file name/);
  });

  it('never follows a link, holds a split part for its .info, refuses a gzip bomb and fails abandoned claims in the drop folder', async () => {
    const dir = path.join(inbox, t.orgId);
    fs.mkdirSync(dir, { recursive: true });
    const outside = path.join(os.tmpdir(), `audx-secret-${process.pid}.sync`);
    fs.writeFileSync(outside, `${vid(40)} 24\n`);
    fs.symlinkSync(outside, path.join(dir, 'S3_777_100000_iter_1764489800000.sync'));
    fs.symlinkSync(outside, path.join(dir, 'linked.info'));
    // a part of a split full batch, alone: imported by itself it would replace the whole list
    fs.writeFileSync(path.join(dir, 'S3_777_100000_full_1764489900000-1.sync'), `${vid(41)} 24\n`);
    // 40 MB of newlines in 40 kB of gzip
    fs.writeFileSync(path.join(dir, 'S3_777_100000_iter_1764490000000.sync.gz'), zlib.gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x0a)));
    // what a process killed mid-import leaves: a claimed file nobody touches any more
    fs.mkdirSync(path.join(dir, '.processing'), { recursive: true });
    const orphan = path.join(dir, '.processing', 'S3_777_100000_iter_1764490100000.sync');
    fs.writeFileSync(orphan, `${vid(42)} 24\n`);
    fs.utimesSync(orphan, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const failed = (root: string) => path.join(dir, 'failed', `${root}.receipt.json`);
    const reason = async (root: string) => {
      await waitFor(() => fs.existsSync(failed(root)), { timeoutMs: 20000, what: `${root} failed` });
      return (JSON.parse(fs.readFileSync(failed(root), 'utf8')) as { error: string }).error;
    };
    expect(await reason('S3_777_100000_iter_1764489800000.sync')).toMatch(/not a regular file/);
    expect(await reason('linked')).toMatch(/not a regular file/);
    expect(fs.lstatSync(path.join(dir, 'failed', 'S3_777_100000_iter_1764489800000.sync')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(outside, 'utf8')).toBe(`${vid(40)} 24\n`); // the target is untouched
    expect(fs.existsSync(path.join(dir, 'S3_777_100000_full_1764489900000-1.sync'))).toBe(true); // still waiting
    expect(await reason('S3_777_100000_full_1764489900000-1.sync')).toMatch(/split batch, and no .info listed it/);
    expect(await reason('S3_777_100000_iter_1764490000000.sync.gz')).toMatch(/decompression bomb/);
    expect(await reason('S3_777_100000_iter_1764490100000.sync')).toMatch(/interrupted/);
    // neither the linked file's member nor the lone part's ever reached reconciliation
    const handedOn = [...chunks.byImport.values()].flat().flatMap((c) => c.members.map((m) => m.userId));
    expect(handedOn).not.toContain(vid(40));
    expect(handedOn).not.toContain(vid(41));
    // like an upload answered 413, the bomb leaves no import behind: only its receipt in failed/
    expect((await imports()).find((i) => i.fileName === 'S3_777_100000_iter_1764490000000.sync.gz')).toBeUndefined();
    fs.rmSync(outside);
  });

  it("keeps every working folder inside its org's folder: links in place of .processing or done move nothing of another org, and a huge .info is refused", async () => {
    const [b, c] = await Promise.all([stack.ims.tenant('inbox attacker'), stack.ims.tenant('inbox victim')]);
    const dirB = path.join(inbox, b.orgId);
    const dirC = path.join(inbox, c.orgId);
    fs.mkdirSync(dirB, { recursive: true });
    fs.mkdirSync(dirC, { recursive: true });
    // a folder of the victim org's own (its scan leaves folders alone), and in it a file
    fs.mkdirSync(path.join(dirC, 'archive'));
    const victimFile = path.join(dirC, 'archive', 'S3_777_100000_iter_1764491000000.sync');
    fs.writeFileSync(victimFile, `${vid(60)} 24\n`);
    // old enough for the stale-claim sweep, had it followed the link
    fs.utimesSync(dirC, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    fs.symlinkSync('..', path.join(dirB, '.processing'));
    const fileB = 'S3_777_100000_iter_1764491100000.sync';
    fs.writeFileSync(path.join(dirB, fileB), `${vid(61)} 24\n`);
    await new Promise((r) => setTimeout(r, 2000)); // ten scans
    expect(fs.existsSync(victimFile)).toBe(true);
    expect(fs.readdirSync(inbox)).toEqual(expect.arrayContaining([b.orgId, c.orgId]));
    expect(fs.existsSync(path.join(dirB, fileB))).toBe(true); // not claimed through the link
    expect(fs.existsSync(path.join(dirB, 'failed'))).toBe(false);

    // .processing real again, done a link to the other org's folder: the import runs, nothing lands there
    fs.unlinkSync(path.join(dirB, '.processing'));
    fs.symlinkSync(dirC, path.join(dirB, 'done'));
    const before = fs.readdirSync(dirC).sort();
    const imported = await waitFor(async () => {
      const mine = (await json<{ items: ImportView[] }>(await fetch(`${url}/v1/imports?limit=50`, { headers: b.headers }))).items;
      return mine.find((i) => i.fileName === fileB);
    }, { timeoutMs: 20000, what: 'the import of the file' });
    expect(imported.source).toBe('inbox');
    await new Promise((r) => setTimeout(r, 1000));
    expect(fs.readdirSync(dirC).sort()).toEqual(before);
    expect(fs.existsSync(path.join(dirB, '.processing', fileB))).toBe(true); // left in its own folder

    // an .info is read whole: past its cap, refused without reading it
    fs.writeFileSync(path.join(dirB, 'huge.info'), JSON.stringify({ Files: [], pad: 'x'.repeat(2 * 1024 * 1024) }));
    const receipt = path.join(dirB, 'failed', 'huge.receipt.json');
    await waitFor(() => fs.existsSync(receipt), { what: 'huge .info refused' });
    expect(JSON.parse(fs.readFileSync(receipt, 'utf8')).error).toMatch(/at most 1048576 bytes/);
  });

  it('answers 413 with its JSON error, not a reset, when a limit trips while the client is still sending', async () => {
    // 200 MB of one byte gzipped to ~200 kB, sent chunked (no Content-Length) and slowly: the
    // decompression-bomb guard trips after 10 MB of output (a few kB in), long before the client is done
    const body = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x61));
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/gzip', 'transfer-encoding': 'chunked' } }, (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => resolve({ status: r.statusCode!, body: text }));
      });
      req.on('error', reject);
      let offset = 0;
      const pump = () => {
        if (offset >= body.length) return req.end();
        req.write(body.subarray(offset, offset + 4096));
        offset += 4096;
        setTimeout(pump, 2);
      };
      pump();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toMatchObject({ code: expect.any(String), message: expect.stringMatching(/decompression bomb/) });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('streams 200,000 lines through the real HTTP server with flat memory', async () => {
    const service = stack.service('segment-ingestion');
    const heapBefore = await gauge(service, 'nodejs_heap_size_used_bytes');
    const rssBefore = await gauge(service, 'process_resident_memory_bytes');
    let heapPeak = heapBefore;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      void gauge(service, 'nodejs_heap_size_used_bytes').then((v) => (heapPeak = Math.max(heapPeak, v))).catch(() => undefined);
      void gauge(service, 'process_resident_memory_bytes').then((v) => (rssPeak = Math.max(rssPeak, v))).catch(() => undefined);
    }, 50);
    const lines = 200_000;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...t.headers, 'content-type': 'text/plain' } }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, body }));
      });
      req.on('error', reject);
      let i = 0;
      const pump = () => {
        while (i < lines) {
          const block = Array.from({ length: 1000 }, (_, k) => `${vid(1_000_000 + i + k)} 24,26 25`).join('\n') + '\n';
          i += 1000;
          if (!req.write(block)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    clearInterval(sampler);
    if (res.status !== 202) {
      // the request's own log lines and every error, wherever they sit in the service's output
      const requestId = /"requestId":"([^"]+)"/.exec(res.body)?.[1] ?? 'none';
      const logged = service.output.join('').split('\n').filter((l) => l.includes(requestId) || l.includes('"level":"error"'));
      process.stdout.write(`upload answered ${res.status} ${res.body.slice(0, 500)}\n${logged.slice(-30).join('\n').slice(-12000)}\n`);
    }
    expect(res.status).toBe(202);
    const view = JSON.parse(res.body) as ImportView;
    expect(view.receipt).toMatchObject({ recordsReceived: lines, membershipsAdded: 2 * lines, membershipsRemoved: lines });
    const mib = (n: number) => (n / 1048576).toFixed(0);
    process.stdout.write(`200k-line upload: heap ${mib(heapBefore)} -> peak ${mib(heapPeak)} MiB, rss ${mib(rssBefore)} -> peak ${mib(rssPeak)} MiB\n`);
    // ~9 MiB of text; held whole as parsed members (strings, segment arrays, an MD5 each) it would
    // be about 80 MiB and more. The peak also counts garbage the collector has not reached yet:
    // 17 to 52 MiB across runs (50.9 in a clean-clone CI on 2026-12-07), so the limit sits above
    // that and below what holding the file would take. 400k lines against a 64 MiB limit was tried:
    // under the full suite's load that upload failed with a 500 in CI.
    expect((heapPeak - heapBefore) / 1048576).toBeLessThan(64);
    const sent = await waitFor(() => chunks.chunks(view.importId).find((c) => c.last)?.totals, { what: 'totals' });
    expect(sent.members).toBe(lines);
  });

  it('fails an upload cut by a SIGKILL and hands nothing of it on', async () => {
    const service = stack.service('segment-ingestion');
    const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...t.headers, 'content-type': 'text/plain' } });
    req.on('error', () => undefined);
    req.write(Array.from({ length: 20000 }, (_, i) => `${vid(3_000_000 + i)} 77`).join('\n'));
    const cut = await waitFor(async () => (await imports()).find((i) => i.status === 'receiving'), { what: 'receiving import' });
    await service.kill();
    req.destroy();
    await service.start();
    const after = await waitFor(async () => (await imports()).find((i) => i.importId === cut.importId && i.status === 'failed'), { timeoutMs: 30000, what: 'the interrupted import failed' });
    expect(after.status).toBe('failed');
    expect(chunks.chunks(cut.importId).some((c) => c.last)).toBe(false);
  });
});

