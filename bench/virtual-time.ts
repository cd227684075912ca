import { AsyncLocalStorage } from "node:async_hooks";

interface Process {
  /** This process's own clock, in simulated milliseconds. */
  now: number;
  data: unknown;
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Simulated time for code that really runs (the composed launcher against dynalite): a discrete-event loop where
 * each invocation is a process with its own clock. A process advances time only by `sleep` (a modelled latency); the
 * loop wakes the earliest sleeper only when every process is parked, so real work (dynalite over HTTP) happens in
 * simulated-time order, one process at a time, and no real time is spent waiting.
 */
export class VirtualTime {
  now = 0;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private running = 0;
  private idle?: () => void;
  private readonly processes = new AsyncLocalStorage<Process>();

  /** The time of the calling process, or of the loop outside any process. */
  time(): number {
    return this.processes.getStore()?.now ?? this.now;
  }

  /** The data the calling process was spawned with. */
  data<T>(): T | undefined {
    return this.processes.getStore()?.data as T | undefined;
  }

  /** Calls `fire` from the loop at simulated time `at` (not before any earlier timer). */
  at(at: number, fire: () => void): void {
    this.push({ at: Math.max(at, this.now), seq: this.seq++, fire });
  }

  /** Starts a process now; its result is whatever `work` returns. Do follow-up work inside `work`. */
  spawn<T>(data: unknown, work: () => Promise<T>): Promise<T> {
    this.running += 1;
    return this.processes.run({ now: this.now, data }, async () => {
      try {
        return await work();
      } finally {
        this.running -= 1;
        this.checkIdle();
      }
    });
  }

  /** Parks the calling process for `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    const process = this.processes.getStore();
    if (!process) throw new Error("VirtualTime.sleep outside a simulated process");
    const at = process.now + Math.max(0, ms);
    return new Promise<void>((resolve) => {
      this.push({
        at,
        seq: this.seq++,
        fire: () => {
          process.now = at;
          this.running += 1;
          resolve();
        },
      });
      this.running -= 1;
      this.checkIdle();
    });
  }

  /** Runs until no timer is left (or `until`); returns the simulated time reached. */
  async run(until = Number.POSITIVE_INFINITY): Promise<number> {
    for (;;) {
      await this.whenIdle();
      const timer = this.pop();
      if (!timer) return this.now;
      if (timer.at > until) {
        this.push(timer);
        return this.now;
      }
      this.now = timer.at;
      timer.fire();
    }
  }

  private async whenIdle(): Promise<void> {
    for (;;) {
      if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      // A macrotask boundary: every continuation already queued has run before the clock moves.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.running === 0) return;
    }
  }

  private checkIdle() {
    if (this.running === 0 && this.idle) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
    }
  }

  private push(timer: Timer) {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(heap[parent]!, heap[i]!)) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
