/**
 * Raw speed of the same MySQL and Kafka the services use, measured in the same run:
 * multi-row INSERT and LOAD DATA LOCAL INFILE of 1M rows, an INSERT ... SELECT join, and
 * kafkajs producing/consuming 1M small messages (acks all).
 */
import { createConnection } from 'mysql2/promise';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { benchEnv, generatedLines, report, timed } from './bench-support';
import { kafkaAuth } from '@audx/testing';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);

async function mysqlBaseline() {
  const env = benchEnv();
  const db = `audx_bench_raw_${env.namespace}`;
  const conn = await createConnection({ uri: env.mysqlUrl, multipleStatements: true, infileStreamFactory: undefined });
  await conn.query(`CREATE DATABASE ${db}`);
  await conn.changeUser({ database: db });
  try {
    await conn.query('CREATE TABLE a (id VARCHAR(40) PRIMARY KEY, recipient VARCHAR(40) NOT NULL) ENGINE=InnoDB');
    await conn.query('CREATE TABLE b (id VARCHAR(40) PRIMARY KEY) ENGINE=InnoDB');
    await conn.query('CREATE TABLE joined (recipient VARCHAR(40) PRIMARY KEY) ENGINE=InnoDB');
    const insertSecs = await timed(async () => {
      for (let i = 0; i < ROWS; i += 1000) {
        const values = Array.from({ length: Math.min(1000, ROWS - i) }, (_, k) => [String(i + k).padStart(38, '0'), `r${i + k}`]);
        await conn.query('INSERT INTO a (id, recipient) VALUES ?', [values]);
      }
    });
    report('mysql.multiRowInsert', { rows: ROWS, seconds: insertSecs, rowsPerSecond: Math.round(ROWS / insertSecs) });
    const loadSecs = await timed(() =>
      conn.query({
        sql: "LOAD DATA LOCAL INFILE 'bench' INTO TABLE b FIELDS TERMINATED BY '\\t' (id)",
        infileStreamFactory: () => generatedLines(ROWS, (i) => String(i).padStart(38, '0')),
      }),
    );
    report('mysql.loadData', { rows: ROWS, seconds: loadSecs, rowsPerSecond: Math.round(ROWS / loadSecs) });
    const joinSecs = await timed(() => conn.query('INSERT INTO joined (recipient) SELECT a.recipient FROM b JOIN a ON a.id = b.id'));
    report('mysql.insertSelectJoin', { rows: ROWS, seconds: joinSecs, rowsPerSecond: Math.round(ROWS / joinSecs) });
  } finally {
    await conn.query(`DROP DATABASE ${db}`);
    await conn.end();
  }
}

async function kafkaBaseline() {
  const env = benchEnv();
  const kafka = new Kafka({ brokers: env.kafkaBrokers.split(','), ...kafkaAuth(), clientId: 'bench', logLevel: logLevel.NOTHING });
  const topic = `${env.namespace}.bench.raw`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = Buffer.from(JSON.stringify({ userId: '59767559181262060060278870901087098252', add: ['24'], remove: [] }));
  const produceSecs = await timed(async () => {
    for (let i = 0; i < ROWS; i += 10000) {
      const messages = Array.from({ length: Math.min(10000, ROWS - i) }, (_, k) => ({ key: String(i + k), value }));
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
    }
  });
  report('kafka.produce', { messages: ROWS, seconds: produceSecs, messagesPerSecond: Math.round(ROWS / produceSecs), bytesPerMessage: value.length });
  const consumer = kafka.consumer({ groupId: `${env.namespace}.bench-raw` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const consumeSecs = await timed(
    () =>
      new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length;
            if (seen >= ROWS) resolve();
          },
        });
      }),
  );
  report('kafka.consume', { messages: ROWS, seconds: consumeSecs, messagesPerSecond: Math.round(ROWS / consumeSecs) });
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

void (async () => {
  await mysqlBaseline();
  await kafkaBaseline();
})().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
