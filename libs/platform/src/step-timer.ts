/** Milliseconds spent in each step of a long piece of work, for its log line (`stepsMs`). */
export class StepTimer {
  readonly laps: Record<string, number> = {};
  private last = Date.now();

  /** Closes the step that ran since the previous lap (or since the timer was made). */
  lap(step: string): void {
    const now = Date.now();
    this.laps[step] = now - this.last;
    this.last = now;
  }
}
