import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { OrgOptional, RequireScope, Scopes } from '@audx/auth';
import {
  CreateIntegrationDto,
  CreateIntegrationSchema,
  CreatedIntegrationView,
  IntegrationPage,
  RotateSecretDto,
  RotateSecretSchema,
  RotatedSecretView,
} from './integrations.dto';
import { IntegrationsService } from './integrations.service';
import { ZodBody } from '@audx/platform';

@ApiTags('integrations')
@Controller('ims/organizations/:orgId/integrations')
@RequireScope(Scopes.imsAdmin)
@OrgOptional()
export class IntegrationsController {
  constructor(@Inject(IntegrationsService) private readonly integrations: IntegrationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a technical account; the client secret is shown once (ims.admin)' })
  @ApiCreatedResponse({ type: CreatedIntegrationView })
  create(@Param('orgId') orgId: string, @Body(new ZodBody(CreateIntegrationSchema)) body: CreateIntegrationDto): Promise<CreatedIntegrationView> {
    return this.integrations.create(orgId, body.name, body.scopes);
  }

  @Get()
  @ApiOperation({ summary: "List an organization's integrations, without secrets (ims.admin)" })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ type: IntegrationPage })
  list(@Param('orgId') orgId: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<IntegrationPage> {
    return this.integrations.list(orgId, after, limit);
  }

  @Post(':clientId/secrets')
  @ApiOperation({ summary: 'Rotate the client secret; the previous one works for graceSeconds more (ims.admin)' })
  @ApiCreatedResponse({ type: RotatedSecretView })
  rotate(@Param('orgId') orgId: string, @Param('clientId') clientId: string, @Body(new ZodBody(RotateSecretSchema)) body: RotateSecretDto): Promise<RotatedSecretView> {
    return this.integrations.rotateSecret(orgId, clientId, body.graceSeconds);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the integration; every token it was issued stops working (ims.admin)' })
  @ApiNoContentResponse()
  remove(@Param('orgId') orgId: string, @Param('clientId') clientId: string): Promise<void> {
    return this.integrations.delete(orgId, clientId);
  }
}
