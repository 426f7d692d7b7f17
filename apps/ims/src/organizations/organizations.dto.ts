import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';

export const CreateOrganizationSchema = z.object({ name: z.string().trim().min(1).max(255) }).strict();

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme Retail', maxLength: 255 })
  name: string;
}

export class OrganizationView {
  @ApiProperty({ example: '1FD6776A524453CC0A490D44@AdobeOrg' }) orgId: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: string;
}

export class OrganizationPage {
  @ApiProperty({ type: [OrganizationView] }) items: OrganizationView[];
  @ApiProperty({ type: String, nullable: true }) next: string | null;
}
