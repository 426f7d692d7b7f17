import { DynamicModule, Global, Inject, Injectable, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ServiceRuntime } from '@audx/platform';
import { AccessTokenGuard } from './guard';
import { KeySource, RemoteJwks, RemoteJwksOptions } from './jwks';
import { RevocationFeed } from './revocation-feed';
import { RevocationList } from './revocations';
import { TokenVerifier } from './token-verifier';
import { eventAuthorizer } from './event-authorizer';

export interface AuthOptions {
  /** Base URL of IMS (config.IMS_URL); the key set is fetched from `<imsUrl>/ims/keys`. */
  imsUrl: string;
  /** Where public keys come from; IMS passes its own key store. Default: IMS's JWKS over HTTP. */
  keys?: KeySource;
  jwks?: Omit<RemoteJwksOptions, 'fetch' | 'now'>;
  /** When set, tokens must carry this `iss`. */
  issuer?: string;
  clockToleranceSec?: number;
}

@Injectable()
class RevocationFeedLifecycle implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(RevocationFeed) private readonly feed: RevocationFeed) {}

  onModuleInit(): void {
    this.feed.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.feed.stop();
  }
}

/**
 * Token verification for a service: `AuthModule.forRuntime(runtime, { imsUrl: config.IMS_URL })`
 * in the root module's imports, then `@RequireScope('read')` on routes and `@OrgId()` on
 * parameters. Runs the revocation feed of this process and adds a `revocations` readiness check.
 */
@Global()
@Module({})
export class AuthModule {
  static forRuntime(runtime: ServiceRuntime, options: AuthOptions): DynamicModule {
    const revocations = new RevocationList();
    const keys = options.keys ?? new RemoteJwks(new URL('/ims/keys', options.imsUrl).toString(), options.jwks);
    const verifier = new TokenVerifier(keys, revocations, { issuer: options.issuer, audience: runtime.options.config.IMS_AUDIENCE, clockToleranceSec: options.clockToleranceSec });
    const feed = new RevocationFeed({
      kafka: runtime.kafka,
      namer: runtime.namer,
      service: runtime.options.service,
      list: revocations,
      logger: runtime.logger,
      staleAfterMs: runtime.options.config.REVOCATION_FEED_STALE_SECONDS * 1000,
    });
    // events outside producers write are checked with the same verifier as requests
    runtime.authorizeEvent = eventAuthorizer(verifier);
    runtime.readiness.register('revocations', async () => {
      if (!revocations.ready) throw new Error('revocation list not caught up yet');
    });
    return {
      module: AuthModule,
      providers: [
        { provide: RevocationList, useValue: revocations },
        { provide: TokenVerifier, useValue: verifier },
        { provide: RevocationFeed, useValue: feed },
        RevocationFeedLifecycle,
        AccessTokenGuard,
      ],
      exports: [RevocationList, TokenVerifier, AccessTokenGuard],
    };
  }
}
