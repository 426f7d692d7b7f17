import { Connection, createConnection } from 'mysql2/promise';
import { testEnv } from './test-env';

/** A plain connection to one database of this run, for asserting on what services wrote. */
export async function connectDatabase(database: string): Promise<Connection> {
  const conn = await createConnection({ uri: testEnv().mysqlUrl, multipleStatements: false, supportBigNumbers: true, bigNumberStrings: true });
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await conn.changeUser({ database });
  return conn;
}
