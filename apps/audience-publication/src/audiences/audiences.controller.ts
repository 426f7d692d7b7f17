import { Controller, Get, Inject, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { AudiencesService } from './audiences.service';

@ApiTags('audiences')
@Controller('v1/audiences')
@RequireScope(Scopes.read)
export class AudiencesController {
  constructor(@Inject(AudiencesService) private readonly audiences: AudiencesService) {}

  @Get()
  @ApiOperation({ summary: 'Published shared audiences of the org' })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  list(@OrgId() orgId: string, @Query('after') after?: string, @Query('limit') limit?: string) {
    return this.audiences.list(orgId, after, limit);
  }

  @Get(':audienceId')
  @ApiOperation({ summary: 'One shared audience: its latest version and size' })
  get(@OrgId() orgId: string, @Param('audienceId') audienceId: string) {
    return this.audiences.get(orgId, audienceId);
  }

  @Get(':audienceId/versions')
  @ApiOperation({ summary: 'Kept versions of an audience, newest first, with their delta and files (an array, not a page)' })
  versions(@OrgId() orgId: string, @Param('audienceId') audienceId: string) {
    return this.audiences.versions(orgId, audienceId);
  }

  @Get(':audienceId/members')
  @ApiOperation({ summary: 'Members (identifiers) of a kept version, default the latest; cursor paging' })
  @ApiQuery({ name: 'version', required: false })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  members(
    @OrgId() orgId: string,
    @Param('audienceId') audienceId: string,
    @Query('version') version?: string,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
  ) {
    return this.audiences.members(orgId, audienceId, version, after, limit);
  }

  @Get(':audienceId/versions/:version/files/:fileName')
  @ApiOperation({ summary: 'Download an outbound file (or the .info) recorded for a version' })
  @ApiProduces('text/plain', 'application/gzip', 'application/json')
  file(@OrgId() orgId: string, @Param('audienceId') audienceId: string, @Param('version') version: string, @Param('fileName') fileName: string): Promise<StreamableFile> {
    return this.audiences.file(orgId, audienceId, version, fileName);
  }
}
