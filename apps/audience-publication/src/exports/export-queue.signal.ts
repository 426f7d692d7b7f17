import { Injectable } from '@nestjs/common';

/**
 * Tells the publisher that an export was assembled. The signal is a latency shortcut only: it
 * fires before the consumer's transaction commits, so the publisher also polls the exports table
 * (the table, not this signal, is the queue, and it survives a crash).
 */
@Injectable()
export class ExportQueueSignal {
  private listener: (() => void) | null = null;

  subscribe(listener: () => void): void {
    this.listener = listener;
  }

  assembled(): void {
    const timer = setTimeout(() => this.listener?.(), 100);
    timer.unref();
  }
}
