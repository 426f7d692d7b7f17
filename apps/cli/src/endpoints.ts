import os from 'node:os';
import path from 'node:path';

/** Where the services answer: the local stack of `npm start` unless the environment says otherwise. */
export interface Endpoints {
  ims: string;
  ingestion: string;
  identity: string;
  publication: string;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export function endpointsFrom(env: NodeJS.ProcessEnv): Endpoints {
  return {
    ims: trim(env.AUDX_IMS_URL ?? 'http://127.0.0.1:4100'),
    ingestion: trim(env.AUDX_INGESTION_URL ?? 'http://127.0.0.1:4200'),
    identity: trim(env.AUDX_IDENTITY_URL ?? 'http://127.0.0.1:4300'),
    publication: trim(env.AUDX_PUBLICATION_URL ?? 'http://127.0.0.1:4400'),
  };
}

/** The CLI's own folder: the session (credentials and cached token), readable by its owner only. */
export function homeFrom(env: NodeJS.ProcessEnv): string {
  return env.AUDX_HOME ?? path.join(os.homedir(), '.audx');
}
