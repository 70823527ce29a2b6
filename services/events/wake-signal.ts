// How a polling loop is woken early: `notify()` says there is work now (and is remembered if it comes while the loop
// is busy, so the loop goes round again instead of sleeping); `interrupt()` only cuts a sleep short, for stopping.
// The router and the event feed both poll the database this way.

export class WakeSignal {
  private wake: (() => void) | undefined;
  private notified = false;

  /** There is work: the loop runs again at once, even if it is busy now. */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Ends the current sleep without claiming there is work (the loop re-checks why it runs). */
  interrupt(): void {
    this.wake?.();
  }

  /** Returns whether notify() was called since the last call, and forgets it. */
  takeNotified(): boolean {
    const notified = this.notified;
    this.notified = false;
    return notified;
  }

  /** Resolves after `ms`, or at the next notify() or interrupt(). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wakeUp(resolve), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wakeUp(resolve);
      };
    });
  }

  private wakeUp(resolve: () => void): void {
    this.wake = undefined;
    resolve();
  }
}
