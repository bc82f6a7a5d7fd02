// Types for the `window.engagekit` API that the snippet and the loader define.
// Every call is safe before the module has loaded (it is queued) and never throws.

export type Properties = Record<string, unknown>;

export interface InitOptions {
  /** Collector origin, e.g. "https://collect.example.com". Default: the loader's origin. */
  host?: string;
  /** Inline site configuration; skips fetching /v1/config/{writeKey}. */
  config?: EngagekitConfig;
}

export interface EngagekitConfig {
  tracking?: {
    flushAt?: number;
    flushIntervalMs?: number;
    autocapture?: { pageviews?: boolean; clicks?: boolean };
    maxQueueEvents?: number;
    maxQueueBytes?: number;
    sessionTimeoutMinutes?: number;
  };
  privacy?: { requireConsent?: boolean; honorDnt?: boolean };
  score?: { weights?: Record<string, number>; halfLifeDays?: number; scale?: number };
  allowedOrigins?: string[];
}

export interface DebugState {
  anonymousId: string;
  userId: string | null;
  sessionId: number | null;
  queued: number;
  inflight: number;
  held: number;
  dropped: number;
  consent: 'unknown' | 'granted' | 'denied';
  tab: string;
}

export interface Engagekit {
  init(writeKey: string, options?: InitOptions): void;
  track(event: string, properties?: Properties): void;
  page(name?: string | Properties, properties?: Properties): void;
  identify(userId: string | Properties, traits?: Properties): void;
  reset(): void;
  consent(choice: 'granted' | 'denied'): void;
  forget(): void;
  flush(): void;
  ready(callback: (engagekit: Engagekit) => void): void;
  /** Engagement score 0-100; undefined until the module has loaded (use ready()). */
  score(): number | undefined;
  debug(): DebugState | undefined;
}

declare global {
  interface Window {
    engagekit: Engagekit;
  }
}
