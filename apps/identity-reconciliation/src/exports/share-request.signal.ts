import { Injectable } from '@nestjs/common';

/** Tells the ShareRequestRunner that a share was asked for (without the service depending on the runner). */
@Injectable()
export class ShareRequestSignal {
  private listener: (() => void) | null = null;

  subscribe(listener: () => void): void {
    this.listener = listener;
  }

  requested(): void {
    this.listener?.();
  }
}
