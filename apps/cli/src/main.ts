#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { download, listAudiences, listLists, share } from './commands/audiences';
import { handleDeadLetter, listDeadLetters } from './commands/dead-letters';
import { importFile, listImports } from './commands/imports';
import { login, logout } from './commands/login';
import { CliContext, contextOf } from './context';
import { CliError, EXIT_CODES_HELP, ExitCode } from './exit-codes';

/**
 * `audx`: the four services' public API from a terminal, for people (tables, progress bars) and
 * scripts (`--json`, exit codes). Where the services are: AUDX_IMS_URL, AUDX_INGESTION_URL,
 * AUDX_IDENTITY_URL, AUDX_PUBLICATION_URL (the local stack by default); the session lives in
 * AUDX_HOME (~/.audx).
 */
function program(env: NodeJS.ProcessEnv): Command {
  const p = new Command('audx')
    .description('Audience Exchange from the command line: import segment files, share lists, download audiences')
    .option('--json', 'print results as JSON on stdout (progress stays on stderr, and is off)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });
  const ctx = (): CliContext => contextOf(env, Boolean(p.opts().json));
  const wait = (c: Command) =>
    c.option('--no-wait', 'answer once the request is accepted, without waiting for the job').addOption(new Option('--timeout <seconds>', 'how long to wait for the job').default('600').argParser(seconds));

  p.command('login')
    .description('get a token with client credentials (kept, and renewed when it expires)')
    .option('--client-id <id>', 'the integration client id (or AUDX_CLIENT_ID)')
    .option('--client-secret <secret>', 'its secret (or AUDX_CLIENT_SECRET)')
    .option('--scope <scopes>', 'comma-separated scopes (default: every scope of the client)')
    .action((o) => login(ctx(), o, env));
  p.command('logout').description('forget the credentials and the token').action(() => logout(ctx()));
  wait(
    p
      .command('import <file>')
      .description('import a segment file (AAM outbound or inbound, NDJSON; plain or .gz), then wait for its receipt')
      .option('--data-source <name>', 'the data source that reconciles its identifiers')
      .addOption(new Option('--format <format>', 'the file format (default: from the file)').choices(['aam-outbound', 'aam-inbound', 'ndjson']))
      .addOption(new Option('--mode <mode>', 'iter adds and removes, full replaces the lists').choices(['iter', 'full'])),
  ).action((file, o) => importFile(ctx(), file, o));
  p.command('imports')
    .description('the org\'s imports, newest first')
    .addOption(new Option('--status <status>').choices(['receiving', 'reconciling', 'completed', 'failed', 'rejected']))
    .addOption(new Option('--limit <n>').default('20').argParser(count))
    .action((o) => listImports(ctx(), o));
  p.command('lists')
    .description('the org\'s lists')
    .option('--name <text>', 'only lists whose name contains it')
    .addOption(new Option('--limit <n>').default('50').argParser(count))
    .action((o) => listLists(ctx(), o));
  wait(
    p
      .command('share <listId>')
      .description('share a list as an audience, then wait for its version')
      .requiredOption('--data-source <name>', 'the data source whose identifiers are exported')
      .option('--segment-id <id>', 'the marketing cloud segment the audience feeds')
      .option('--audience-name <name>', 'the audience\'s name')
      .addOption(new Option('--mode <mode>').choices(['incremental', 'full']).default('incremental')),
  ).action((listId, o) => share(ctx(), listId, o));
  p.command('audiences')
    .description('the org\'s shared audiences')
    .addOption(new Option('--limit <n>').default('50').argParser(count))
    .action((o) => listAudiences(ctx(), o));
  p.command('download <audienceId>')
    .description('download the files of an audience version (the latest by default)')
    .addOption(new Option('--version <n>', 'the version').argParser(count))
    .option('--out <dir>', 'the folder to write to (default: <audienceId>-v<version>)')
    .action((audienceId, o) => download(ctx(), audienceId, o));
  const dlq = p.command('dlq').description("messages the services' consumers could not apply: list, replay to their topic, or discard");
  dlq
    .command('list')
    .description('the dead letters of the org, newest first')
    .addOption(new Option('--status <status>').choices(['dead', 'replayed', 'discarded']))
    .addOption(new Option('--service <service>', 'only one service').choices(['ims', 'ingestion', 'identity', 'publication']))
    .addOption(new Option('--limit <n>', 'per service').default('50').argParser(count))
    .action((o) => listDeadLetters(ctx(), o));
  for (const action of ['replay', 'discard'] as const) {
    dlq
      .command(`${action} <deadLetterId>`)
      .description(action === 'replay' ? 'publish it to its topic again (its consumer applies it again)' : 'mark it dealt with, without applying it')
      .addOption(new Option('--service <service>').choices(['ims', 'ingestion', 'identity', 'publication']))
      .action((id, o) => handleDeadLetter(ctx(), action, id, o));
  }
  return p;
}

function count(value: string): string {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new CliError(`not a positive whole number: ${value}`, ExitCode.usage);
  return value;
}

function seconds(value: string): string {
  if (!/^\d{1,6}$/.test(value)) throw new CliError(`not a number of seconds: ${value}`, ExitCode.usage);
  return value;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    await program(env).parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`audx: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`);
      return err.code;
    }
    process.stderr.write(`audx: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.failure;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
