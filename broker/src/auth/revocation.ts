/** A connected account, as the revocation check sees it. */
export interface ConnectedAccount {
  readonly username: string;
  /** Closes the connection (no DISCONNECT is sent in MQTT 3.1.1: the socket is closed). */
  disconnect(): void;
}

export interface RevocationOptions {
  intervalMs: number;
  isRevoked(username: string): Promise<boolean>;
  /** The accounts connected now; read afresh at each round. */
  connected(): Iterable<ConnectedAccount>;
  /** Called for each account found revoked, before it is disconnected. */
  onRevoked(username: string): void;
  /** Called when isRevoked throws; the account stays connected until the next round. */
  onError(username: string, err: unknown): void;
}

/**
 * Checks every connected account every `intervalMs` and disconnects the revoked ones: a revoked
 * gateway is gone within one interval plus the time a round takes. Rounds never overlap.
 */
export function startRevocationChecks(opts: RevocationOptions): { stop(): void; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;

  async function round(): Promise<void> {
    for (const account of [...opts.connected()]) {
      if (stopped) return;
      let revoked = false;
      try {
        revoked = await opts.isRevoked(account.username);
      } catch (err) {
        opts.onError(account.username, err);
      }
      if (revoked && !stopped) {
        opts.onRevoked(account.username);
        account.disconnect();
      }
    }
  }

  const runOnce = (): Promise<void> => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void runOnce(), opts.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    runOnce,
  };
}
