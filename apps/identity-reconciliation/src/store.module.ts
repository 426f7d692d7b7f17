import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '@audx/platform';
import { AtRestCipher } from '@audx/persistence';
import type { IdentityConfig } from './config';
import { DATA_SOURCE_KEY_CIPHER, DataSourcesRepository } from './data-sources/data-sources.repository';
import { ImportsRepository } from './imports/imports.repository';
import { ListsRepository } from './lists/lists.repository';
import { RecipientsRepository } from './recipients/recipients.repository';
import { LinkKeysRepository } from './visitors/link-keys.repository';
import { VisitorsRepository } from './visitors/visitors.repository';

const repositories = [DataSourcesRepository, RecipientsRepository, VisitorsRepository, ListsRepository, ImportsRepository, LinkKeysRepository];

/** The repositories (SQL only, no business rules), shared by the feature modules. */
@Global()
@Module({
  providers: [
    ...repositories,
    {
      provide: DATA_SOURCE_KEY_CIPHER,
      inject: [APP_CONFIG],
      useFactory: (config: IdentityConfig) => AtRestCipher.fromKeyMaterial(config.DATA_SOURCE_KEY_ENCRYPTION_KEY),
    },
  ],
  exports: repositories,
})
export class StoreModule {}
