import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { Errors } from './domain-error';

/** Validates a JSON body with a zod schema: 400 with every problem listed, or the typed value. */
export class ZodBody<S extends z.ZodTypeAny> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    throw Errors.badRequest(
      'invalid request body',
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
}
