// Gathers items that each need a market transaction (deals to open, results to post, results to accept) and
// sends them in batches: one transaction in flight at a time, everything that arrived meanwhile in the next. When
// the market reverts a batch whole (an item invalid in itself; opening skips what others could change), the batch
// is retried item by item: only the bad one fails.

export interface BatchQueueParameters<T> {
  /** Sends one batch in one transaction; throws if the market refused it. */
  send: (items: T[]) => Promise<void>;
  /** Called for an item whose own transaction failed. */
  onItemError: (item: T, error: unknown) => void;
  /** Most items per transaction. */
  maxBatch?: number;
  /** How long the first item of a batch waits for company (ms). */
  delayMs?: number;
}

export class BatchQueue<T> {
  readonly #p: BatchQueueParameters<T>;
  readonly #waiting: T[] = [];
  #sending: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(params: BatchQueueParameters<T>) {
    this.#p = params;
  }

  push(item: T): void {
    this.#waiting.push(item);
    this.#schedule();
  }

  /** Resolves when everything queued so far has been sent (or has failed). */
  async drain(): Promise<void> {
    while (this.#sending || this.#timer || this.#waiting.length > 0) {
      if (this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#start();
      }
      await this.#sending;
    }
  }

  #schedule(): void {
    if (this.#sending || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, this.#p.delayMs ?? 2);
  }

  #start(): void {
    if (this.#sending || this.#waiting.length === 0) return;
    const batch = this.#waiting.splice(0, this.#p.maxBatch ?? 50);
    this.#sending = this.#sendBatch(batch).finally(() => {
      this.#sending = undefined;
      if (this.#waiting.length > 0) this.#schedule();
    });
  }

  async #sendBatch(batch: T[]): Promise<void> {
    try {
      await this.#p.send(batch);
    } catch (error) {
      if (batch.length === 1) {
        this.#p.onItemError(batch[0] as T, error);
        return;
      }
      for (const item of batch) {
        try {
          await this.#p.send([item]);
        } catch (itemError) {
          this.#p.onItemError(item, itemError);
        }
      }
    }
  }
}
