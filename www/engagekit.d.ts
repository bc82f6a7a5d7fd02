// Types for the `window.engagekit` API that the snippet and the loader define.
// Every call is safe before the module has loaded (it is queued) and never throws.

export type Properties = Record<string, unknown>;

export interface InitOptions {
  /** Collector origin, e.g. "https://collect.example.com". Default: the loader's origin. */
  host?: string;
  /**
   * Inline site configuration; skips fetching /v1/config/{writeKey}. A document is checked
   * and compiled in the page by the compile chunk (engagekit_config, loaded only then); the
   * compiled form that URL serves (`{privacy, build, compiled}`) is used as it is.
   */
  config?: EngagekitConfig | { privacy: object; build: string; compiled: unknown[] };
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
  /** Onboarding checklists by id (letters, digits, `-` and `_`). */
  checklists?: Record<string, Checklist>;
  /** NPS surveys by id (letters, digits, `-` and `_`). */
  surveys?: Record<string, Survey>;
  /** The cap every prompt shares, across the visitor's tabs. */
  prompts?: {
    /** At most this many prompts in any 7 days (default 2). */
    maxPerWeek?: number;
    /** At least this long between two prompts (default 24). */
    minGapHours?: number;
  };
}

/** An NPS survey: who is asked, when, how often, and what the card says. */
export interface Survey {
  /** Texts by locale ("en", "fr-CA", ...); the visitor's language picks one. */
  text: Record<string, SurveyTexts>;
  /** The fallback locale (default: the first under `text`). */
  defaultLocale?: string;
  placement?: 'bottom-right' | 'bottom-left' | 'center';
  /** Plain CSS values for the card's custom properties (`--ek-accent`, ...). */
  theme?: { accent?: string; background?: string; text?: string; radius?: string; font?: string };
  /** Audience: a condition over visitor attributes. Everyone when absent. */
  if?: Condition;
  /** What makes it show; `engagekit.survey(id)` always can. */
  triggers?: ({ delayMs: number } | { event: string; where?: Condition } | { scrollPercent: number })[];
  /** Share of visitors asked, 0-1, the same visitors every time (default 1). */
  sample?: number;
  /** Not again for this long after an answer (default 90). */
  resurveyDays?: number;
  /** Not again for this long after a dismissal or a survey left unanswered (default 14). */
  dismissWaitDays?: number;
}

export interface SurveyTexts {
  question: string;
  /** Under 0 and under 10. */
  low: string;
  high: string;
  /** An open question after a score, per category; none: straight to the thanks. */
  followUp?: Partial<Record<'detractor' | 'passive' | 'promoter', { question: string; placeholder?: string }>>;
  thanks: string;
  /** Button labels (default "Send" and "Close"). */
  send?: string;
  close?: string;
}

/** An onboarding checklist: its steps and what completes each. */
export interface Checklist {
  /** Texts by locale: `title` (required), `launcher`, `completed`, `dismiss`, `close`,
   *  `locked`, and `steps: {<stepId>: {title, description?, action?}}`. */
  text: Record<string, Record<string, unknown>>;
  defaultLocale?: string;
  placement?: 'bottom-right' | 'bottom-left';
  theme?: { accent?: string; background?: string; text?: string; radius?: string; font?: string };
  /** Who sees it: a condition over visitor attributes. Everyone when absent. */
  if?: Condition;
  /** "ordered": each step waits for the one before it (default "any"). */
  order?: 'any' | 'ordered';
  dismissible?: boolean;
  /** Open by itself once, within the prompt cap (default false: the launcher only). */
  autoOpen?: boolean;
  steps: ChecklistStep[];
}

export interface ChecklistStep {
  id: string;
  /** Where the step's action leads: an http(s) URL or a path on this site. */
  href?: string;
  /** Steps this one waits for. */
  after?: string[];
  /** Done when this event is tracked (and its properties match `where`)... */
  event?: string;
  where?: Condition;
  /** ...or when a page whose visitor attributes match this condition is viewed. */
  page?: Condition;
  /** The visitor may tick it off by hand. */
  manual?: boolean;
}

/** An event as recorded (the Segment shape sent to the collector). */
export interface RecordedEvent {
  type: 'track' | 'page' | 'identify';
  event?: string;
  name?: string;
  properties?: Properties;
  traits?: Properties;
  anonymousId: string;
  userId?: string;
  messageId: string;
  timestamp: string;
  context?: Record<string, unknown>;
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
  /** `options.userHash`: HMAC-SHA256 of the userId with the site's identity secret, made by
   *  the site's server; brings the visitor's progress from their other devices. */
  identify(userId: string | Properties, traits?: Properties, options?: { userHash?: string }): void;
  reset(): void;
  consent(choice: 'granted' | 'denied'): void;
  forget(): void;
  flush(): void;
  ready(callback: (engagekit: Engagekit) => void): void;
  /** Engagement score 0-100; undefined until the module has loaded (use ready()). */
  score(): number | undefined;
  debug(): DebugState | undefined;
  /** Shows survey `id` now, whatever its triggers: subject to its audience, sample,
   *  throttles and the prompt cap unless `force`; never without consent or over another
   *  prompt (a console message says why it did not show). */
  survey(id: string, options?: { force?: boolean }): void;
  /** Completes step `stepId` of checklist `checklistId` from code: `complete('onboarding', 'tour')`.
   *  Safe before the module runs: queued by the snippet, replayed with the time it was made. */
  complete(checklistId: string, stepId: string): void;
  /** The same as `complete(id, stepId)`, once the module runs (inside `ready()`). */
  checklist(id: string): { complete(stepId: string): void };
  /** Calls `listener` after each event of that name is recorded (`'Survey Answered'`, any
   *  `track` name, `'page'`, `'identify'`, or `'*'` for all). */
  on(eventName: string, listener: (event: RecordedEvent) => void): void;
}

declare global {
  interface Window {
    engagekit: Engagekit;
  }
}
