import { ApiClient } from './api-client';
import { Endpoints, endpointsFrom, homeFrom } from './endpoints';
import { Output } from './output';
import { Session } from './session';

/** What every command gets: where the services are, the session, an authenticated client, the output. */
export interface CliContext {
  urls: Endpoints;
  session: Session;
  api: ApiClient;
  out: Output;
}

export function contextOf(env: NodeJS.ProcessEnv, json: boolean): CliContext {
  const urls = endpointsFrom(env);
  const session = new Session(homeFrom(env), urls.ims);
  return { urls, session, api: new ApiClient(() => session.headers()), out: new Output(json) };
}
