import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ZodBody } from '@audx/platform';
import { RollbackAudience } from './rollback-audience.usecase';

const RollbackSchema = z.object({ toVersion: z.number().int().min(1).max(2 ** 31 - 1) }).strict();

@ApiTags('audiences')
@Controller('v1/audiences')
export class RollbackController {
  constructor(@Inject(RollbackAudience) private readonly rollback: RollbackAudience) {}

  @Post(':audienceId/rollback')
  @RequireScope(Scopes.listsWrite)
  @HttpCode(202)
  @ApiOperation({ summary: "Publish a new version whose members are version N's (202 {exportId}; 409 when N is pruned, current or ahead)" })
  @ApiBody({ schema: { type: 'object', required: ['toVersion'], properties: { toVersion: { type: 'integer', minimum: 1 } } } })
  run(@OrgId() orgId: string, @Param('audienceId') audienceId: string, @Body(new ZodBody(RollbackSchema)) body: z.infer<typeof RollbackSchema>) {
    return this.rollback.run(orgId, audienceId, body.toVersion);
  }
}
