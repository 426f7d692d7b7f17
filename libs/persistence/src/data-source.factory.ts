import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { createConnection } from 'mysql2/promise';

export interface SchemaSettings {
  /** Server URL without a database, e.g. mysql://root@127.0.0.1:3306 */
  url: string;
  database: string;
  poolSize: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

const MIGRATION_LOCK_WAIT_SECONDS = 120;

/**
 * The service's own schema: created if missing, migrations applied, `synchronize` off.
 * Replicas booting together take turns through a named server lock, so each migration runs once.
 */
export async function openSchema(settings: SchemaSettings): Promise<DataSource> {
  if (!/^[a-z0-9_]{1,64}$/.test(settings.database)) throw new Error(`invalid database name ${settings.database}`);
  const admin = await createConnection({ uri: settings.url, connectTimeout: 5000 });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${settings.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const lock = `audx_migrate_${settings.database}`.slice(0, 64); // lock names stop at 64 characters
    const [rows] = await admin.query('SELECT GET_LOCK(?, ?) AS got', [lock, MIGRATION_LOCK_WAIT_SECONDS]);
    if (Number((rows as Array<{ got: unknown }>)[0]?.got) !== 1) throw new Error(`another replica held ${lock} for ${MIGRATION_LOCK_WAIT_SECONDS} s`);
    // the lock dies with this connection, so a replica killed mid-migration frees it
    return await initialiseAndMigrate(settings);
  } finally {
    await admin.end();
  }
}

async function initialiseAndMigrate(settings: SchemaSettings): Promise<DataSource> {
  const url = new URL(settings.url);
  const dataSource = new DataSource({
    type: 'mysql',
    host: url.hostname,
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: settings.database,
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    supportBigNumbers: true,
    bigNumberStrings: true,
    poolSize: settings.poolSize,
    // FOUND_ROWS (mysql2's default, made explicit): an upsert that leaves a row as it was counts 1,
    // so "affected = rows" means no existing row was updated (recipients.repository.ts relies on it)
    extra: { connectTimeout: 5000, enableKeepAlive: true, flags: ['+LOCAL_FILES', '+FOUND_ROWS'] },
    connectTimeout: 5000,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

/** A quick reachability check for /ready. */
export async function pingSchema(dataSource: DataSource, timeoutMs = 2000): Promise<void> {
  await withTimeout(dataSource.query('SELECT 1'), timeoutMs, 'mysql');
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}
