import { ApiProperty } from '@nestjs/swagger';
import { LineError } from '../common/ndjson-report';

export class RecipientView {
  @ApiProperty() recipientId: string;
  @ApiProperty({ type: String, nullable: true, description: 'normalised (trimmed, lowercase)' }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) crmId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'normalised (separators dropped, 00 -> +)' }) phone: string | null;
  @ApiProperty() blocklisted: boolean;
  @ApiProperty({ type: Object }) attributes: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'visitor IDs that resolve to this recipient (most recent first, at most 100)' }) visitorIds: string[];
  @ApiProperty({ type: [String], description: 'lists the recipient is a member of' }) lists: string[];
  @ApiProperty() updatedAt: string;
}

export class RecipientsUploadView {
  @ApiProperty() received: number;
  @ApiProperty() upserted: number;
  @ApiProperty() rejected: number;
  @ApiProperty({ type: [LineError] }) errors: LineError[];
}
