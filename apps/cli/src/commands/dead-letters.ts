import type { CliContext } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { failureOf } from '../api-client';
import { table } from '../output';

interface Letter {
  deadLetterId: string;
  topic: string;
  status: string;
  reason: string;
  eventType: string | null;
  handledBy: string | null;
  createdAt: string;
}

const SERVICES = ['ims', 'ingestion', 'identity', 'publication'] as const;
type Service = (typeof SERVICES)[number];

function servicesOf(only: string | undefined): Service[] {
  if (only === undefined) return [...SERVICES];
  if (!(SERVICES as readonly string[]).includes(only)) throw new CliError(`--service ${only}: one of ${SERVICES.join(', ')}`, ExitCode.usage);
  return [only as Service];
}

/** `audx dlq list`: every service's dead letters of the org, newest first. */
export async function listDeadLetters(ctx: CliContext, o: { status?: string; service?: string; limit: string }): Promise<void> {
  const q = new URLSearchParams({ limit: o.limit });
  if (o.status) q.set('status', o.status);
  const all: (Letter & { service: Service })[] = [];
  for (const service of servicesOf(o.service)) {
    const page = await ctx.api.json<{ items: Letter[] }>(`dead letters of ${service}`, `${ctx.urls[service]}/v1/dead-letters?${q}`);
    all.push(...page.items.map((l) => ({ ...l, service })));
  }
  all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  ctx.out.result(all, () =>
    all.length === 0
      ? 'No dead letters.'
      : table(['service', 'dead letter', 'topic', 'status', 'reason', 'at'], all.map((l) => [l.service, l.deadLetterId, l.topic, l.handledBy ? `${l.status} by ${l.handledBy}` : l.status, l.reason.slice(0, 80), l.createdAt])),
  );
}

/** `audx dlq replay|discard <id>`: acts on it in the service that holds it. */
export async function handleDeadLetter(ctx: CliContext, action: 'replay' | 'discard', id: string, o: { service?: string }): Promise<void> {
  for (const service of servicesOf(o.service)) {
    const res = await ctx.api.raw(`${ctx.urls[service]}/v1/dead-letters/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    if (res.status === 404) continue;
    if (!res.ok) throw await failureOf(`${action} of ${id}`, res);
    const l = (await res.json()) as Letter;
    return ctx.out.result({ ...l, service }, () => `Dead letter ${l.deadLetterId} (${l.topic}, ${service}): ${l.status}${action === 'replay' ? '; its consumer takes it again (`audx dlq list` shows it anew if it fails again)' : ''}`);
  }
  throw new CliError(`no dead letter ${id} in this org`, ExitCode.notFound, 'audx dlq list shows their ids');
}
