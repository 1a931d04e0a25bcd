import type { Clock } from '../../graph/engine-dependencies';

/** A clock that moves only when told to: deterministic time for tests and local simulation. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Sleeping advances this clock at once: retries in tests take no real time. */
  sleep(ms: number): Promise<void> {
    this.current += ms;
    return Promise.resolve();
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(time: Date | string | number): void {
    this.current = new Date(time).getTime();
  }
}
