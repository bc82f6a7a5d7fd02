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
  audience?: {
    /** Scores (0-100) at which `tier` becomes "mid" and "high". Default 25 and 60. */
    tiers?: { mid?: number; high?: number };
    /** Sessions to be "active" (default 5); days away to be "at-risk" (default 14). */
    lifecycle?: { activeSessions?: number; atRiskDays?: number };
    /** Named lists for `$inGroup` / `$notInGroup`. */
    savedGroups?: Record<string, unknown[]>;
  };
  content?: {
    /** Conversion event for the reports, for slots that name none. */
    goal?: string;
    /** By the `data-engagekit-slot` name. */
    slots?: Record<string, ContentSlot>;
  };
}

/** A GrowthBook-style targeting condition over visitor attributes, e.g.
 *  `{ tier: 'high', 'utm.source': { $in: ['news', 'ads'] } }`. */
export type Condition = Record<string, unknown>;

export interface ContentSlot {
  /** Conversion event for this slot's report. */
  goal?: string;
  /** First match wins. `variant` is a `<template data-engagekit-variant>` or a config variant. */
  rules?: { name?: string; if?: Condition; variant: string }[];
  /** When no rule matches. Variation "default" is the page's own content. */
  experiment?: {
    key: string;
    variations: string[];
    /** Shares per variation: [3, 1] is 75% / 25%. Equal when absent. */
    weights?: number[];
    coverage?: number;
    hashAttribute?: string;
    /** [name, start, end]: only visitors in this slice of the namespace enter. */
    namespace?: [string, number, number];
  };
  /** Variants written in the config, rendered as text (never as HTML). */
  variants?: Record<string, StructuredVariant>;
}

export interface StructuredVariant {
  title?: string;
  /** Heading level of the title, 1-6 (default 2). */
  heading?: number;
  body?: string;
  /** href: an http(s) URL or a path on this site. */
  cta?: { label: string; href: string };
  /** An http(s) URL or a path on this site. */
  image?: string;
  /** Required with `image`: its description, or "" if it is decorative. */
  imageAlt?: string;
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
