import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ZodBody } from '@audx/platform';
import { DataSourcePage, DataSourceView, PutDataSourceBody, PutDataSourceDto, PutDataSourceSchema } from './data-sources.dto';
import { DataSourcesService } from './data-sources.service';

@ApiTags('data sources')
@Controller('v1/data-sources')
export class DataSourcesController {
  constructor(@Inject(DataSourcesService) private readonly dataSources: DataSourcesService) {}

  @Put(':name')
  @RequireScope(Scopes.configWrite)
  @HttpCode(200)
  @ApiOperation({ summary: 'Create or replace a data source (201 when created); published on datasource.changed' })
  @ApiBody({ type: PutDataSourceBody })
  @ApiOkResponse({ type: DataSourceView })
  async put(
    @OrgId() orgId: string,
    @Param('name') name: string,
    @Body(new ZodBody(PutDataSourceSchema)) body: PutDataSourceDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DataSourceView> {
    const { created, view } = await this.dataSources.put(orgId, name, body);
    if (created) res.status(201);
    return view;
  }

  @Delete(':name')
  @RequireScope(Scopes.configWrite)
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a data source (409 while lists, shares, share requests or imports in progress use it; defaultDataSource stays); published on datasource.changed' })
  async remove(@OrgId() orgId: string, @Param('name') name: string): Promise<void> {
    await this.dataSources.remove(orgId, name);
  }

  @Get()
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: "The org's data sources; defaultDataSource is always there" })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ type: DataSourcePage })
  list(@OrgId() orgId: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<DataSourcePage> {
    return this.dataSources.list(orgId, after, limit);
  }

  @Get(':name')
  @RequireScope(Scopes.read)
  @ApiOkResponse({ type: DataSourceView })
  get(@OrgId() orgId: string, @Param('name') name: string): Promise<DataSourceView> {
    return this.dataSources.get(orgId, name);
  }
}
