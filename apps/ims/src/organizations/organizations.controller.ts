import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { OrgOptional, RequireScope, Scopes } from '@audx/auth';
import { CreateOrganizationDto, CreateOrganizationSchema, OrganizationPage, OrganizationView } from './organizations.dto';
import { OrganizationsService } from './organizations.service';
import { ZodBody } from '@audx/platform';

@ApiTags('organizations')
@Controller('ims/organizations')
@RequireScope(Scopes.imsAdmin)
@OrgOptional()
export class OrganizationsController {
  constructor(@Inject(OrganizationsService) private readonly organizations: OrganizationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an organization (ims.admin)' })
  @ApiCreatedResponse({ type: OrganizationView })
  create(@Body(new ZodBody(CreateOrganizationSchema)) body: CreateOrganizationDto): Promise<OrganizationView> {
    return this.organizations.create(body.name);
  }

  @Get()
  @ApiOperation({ summary: 'List organizations (ims.admin)' })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ type: OrganizationPage })
  list(@Query('after') after?: string, @Query('limit') limit?: string): Promise<OrganizationPage> {
    return this.organizations.list(after, limit);
  }

  @Get(':orgId')
  @ApiOperation({ summary: 'One organization (ims.admin)' })
  @ApiOkResponse({ type: OrganizationView })
  get(@Param('orgId') orgId: string): Promise<OrganizationView> {
    return this.organizations.get(orgId);
  }
}
