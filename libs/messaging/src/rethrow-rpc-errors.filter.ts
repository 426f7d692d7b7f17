import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * A handler's error goes back to the consumer as it was thrown. Nest's default filter turns it
 * into a generic "Internal server error" reply, which would hide the reason a dead letter carries
 * and the "database away" errors the consumer must retry instead of dead-lettering.
 */
@Catch()
export class RethrowRpcErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
