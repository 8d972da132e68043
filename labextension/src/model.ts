/**
 * What the panel shows, kept up to date: the registry, its models, the versions of the models
 * a person expanded, the recent alerts, the actions under way or just done, and the last
 * error. No DOM here; views listen to `changed` and read the getters.
 *
 * One `Poll` reads everything every `refreshInterval` seconds. A poll never starts a tick
 * before the last one settled, and `refresh()` first lets a read in flight finish, so requests
 * never pile up behind a slow server. A failed read keeps the last data, shows the error and
 * waits longer each time, up to `maxInterval`; the poll stands by while the panel or the
 * browser tab is hidden (no read at all from then on), and reads at once when shown again. Every action reads again once done, whether it worked or not.
 *
 * What is shown is what is true now: the registry's own answer is kept even when the models
 * could not be read (so a damaged file is never also called "not there yet"), a registry
 * the panel has seen and that is no longer there is `gone`, not new, and the models kept
 * after a failed read say when they were read. An action is an `IActivity` from the click
 * to the server's answer: its model is `busy` (its actions wait) and the sentence says what
 * is under way, then what happened (in the server's own note when it gave one, so an action
 * that changed nothing says so) or the server's message.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ApiError,
  IAlert,
  IArchive,
  IDone,
  IModelHealth,
  IPlan,
  IPlanRequest,
  IPromote,
  IRegistry,
  IRollback,
  ISchedule,
  IScheduleRun,
  IVersion,
  MlopsApi
} from './api';

/** The routes the model reads and acts through (an `MlopsApi`, or a stand-in server). */
export type Api = Pick<
  MlopsApi,
  'registry'
  | 'fleet'
  | 'versions'
  | 'alerts'
  | 'schedules'
  | 'runSchedule'
  | 'plan'
  | 'promote'
  | 'rollback'
  | 'archive'
>;

/** An action on a model: under way, done or failed, as one sentence a person reads. */
export interface IActivity {
  model: string;
  state: 'running' | 'done' | 'failed';
  /** "promoting churn@champion to v3…", then "churn@champion points at v3 now (was v1)". */
  text: string;
}

/** A model's versions as the panel knows them: read, being read, or failed. */
export interface IVersions {
  rows: IVersion[] | null;
  error: ApiError | null;
  loading: boolean;
}

export namespace MlopsModel {
  export interface IOptions {
    api: Api;
    /** Seconds between two reads (the setting `refreshInterval`). */
    refreshInterval?: number;
    /** The longest wait, in seconds, after reads that failed. */
    maxInterval?: number;
    /** How many recent alerts to show. */
    alertLimit?: number;
  }
}

export class MlopsModel {
  constructor(options: MlopsModel.IOptions) {
    this._api = options.api;
    this._maxInterval = options.maxInterval ?? 60;
    this._alertLimit = options.alertLimit ?? 20;
    this._poll = new Poll({
      auto: false,
      factory: () => this._read(),
      // no read once the tab is hidden (the poll's own default reads once more first)
      linger: 0,
      name: 'jupyter-mlops:panel',
      standby: () => this._hidden || 'when-hidden'
    });
    document.addEventListener('visibilitychange', this._onVisibility);
    // set apart from the constructor, which would raise any max below 30 s to 30 s
    this.setInterval(options.refreshInterval ?? 5);
  }

  /** Emitted whenever anything the panel shows changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The registry as last told, even when the models could not be read with it. */
  get registry(): IRegistry | null {
    return this._registry;
  }

  /** The registry existed when the panel looked before, and its file is not there now. */
  get gone(): boolean {
    return this._gone;
  }

  /** When the models shown were read (null before the first read that worked). */
  get readAt(): Date | null {
    return this._readAt;
  }

  /** The actions under way, and the last one done since (newest last). */
  get activities(): readonly IActivity[] {
    return this._activities;
  }

  /** Whether an action on `model` is under way: its other actions wait for it. */
  isBusy(model: string): boolean {
    return this._activities.some(a => a.model === model && a.state === 'running');
  }

  /** Forget the actions that are over. */
  dismiss(): void {
    const running = this._activities.filter(a => a.state === 'running');
    if (running.length !== this._activities.length) {
      this._activities = running;
      this._changed.emit();
    }
  }

  /** The last read's failure, kept until a read succeeds. */
  get error(): ApiError | null {
    return this._error;
  }

  /** Whether a read has answered yet. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Every model of the registry, in the server's order. */
  get fleet(): readonly IModelHealth[] {
    return this._fleet;
  }

  /** The models whose name holds the filter text (ignoring case). */
  get models(): IModelHealth[] {
    const text = this._filter.trim().toLowerCase();
    return this._fleet.filter(model => model.name.toLowerCase().includes(text));
  }

  get alerts(): readonly IAlert[] {
    return this._alerts;
  }

  /** The schedules of `model`, oldest first. */
  schedulesOf(model: string): ISchedule[] {
    return this._schedules.filter(schedule => schedule.model === model);
  }

  /**
   * Whether a run of `schedule` was started here and its job is not read yet: the schedule's
   * newest job is still the one it had when Run now was clicked.
   */
  isStarting(schedule: ISchedule): boolean {
    return this._starting.has(schedule.id);
  }

  get filter(): string {
    return this._filter;
  }

  set filter(text: string) {
    if (text !== this._filter) {
      this._filter = text;
      this._changed.emit();
    }
  }

  /** The poll: its `frequency` and `state` say when the next read comes. */
  get poll(): Poll {
    return this._poll;
  }

  isExpanded(model: string): boolean {
    return this._expanded.has(model);
  }

  versions(model: string): IVersions | undefined {
    return this._versions.get(model);
  }

  /** Start reading (once), and then every interval. */
  start(): Promise<void> {
    return this._poll.start();
  }

  /** Seconds between two reads; a change applies from the next read on. */
  setInterval(seconds: number): void {
    this._poll.frequency = this._frequency(seconds);
  }

  /**
   * Whether the panel is hidden: a hidden panel reads nothing; shown again, it reads at once.
   * The browser tab is followed by itself, alike.
   */
  setHidden(hidden: boolean): void {
    if (hidden === this._hidden) {
      return;
    }
    this._hidden = hidden;
    if (!hidden && this._poll.state.phase !== 'constructed') {
      void this.refresh();
    }
  }

  /** Read everything now, after the read in flight (if any), and resolve once it is done. */
  async refresh(): Promise<void> {
    while (this._reading) {
      await this._reading;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  /** Expand a model (reading its versions) or fold it. */
  toggle(model: string): Promise<void> {
    if (this._expanded.delete(model)) {
      this._changed.emit();
      return Promise.resolve();
    }
    this._expanded.add(model);
    return this._readVersions(model);
  }

  /** What an action would change, and whether it is allowed, without changing anything. */
  plan(model: string, request: IPlanRequest): Promise<IPlan> {
    return this._api.plan(model, request);
  }

  promote(model: string, body: IPromote): Promise<IDone> {
    const ref = `${model}@${body.alias}`;
    return this._act(model, `promoting ${ref} to v${body.version}`, () =>
      this._api.promote(model, body).then(done => ({ done, text: moved(ref, done) }))
    );
  }

  rollback(model: string, body: IRollback): Promise<IDone> {
    const ref = `${model}@${body.alias}`;
    const to = body.to === null ? '' : ` to v${body.to}`;
    return this._act(model, `rolling ${ref} back${to}`, () =>
      this._api.rollback(model, body).then(done => ({ done, text: moved(ref, done) }))
    );
  }

  archive(model: string, body: IArchive): Promise<IDone> {
    return this._act(model, `archiving ${model} v${body.version}`, () =>
      this._api.archive(model, body).then(done => ({
        done,
        text: noted(done) ?? `${model} v${body.version} is archived`
      }))
    );
  }

  /**
   * Start a schedule's run now, as cron or jupyter-scheduler runs it; its job shows once a
   * read finds it (the schedule is `isStarting` until then).
   */
  runNow(schedule: ISchedule): Promise<IScheduleRun> {
    const model = schedule.model ?? '';
    const before = schedule.last_job?.id ?? null;
    return this._act(model, `starting schedule ${schedule.id} of ${model} now`, async () => {
      const done = await this._api.runSchedule(schedule.id);
      this._starting.set(schedule.id, before);
      const how =
        done.scheduler_job !== null
          ? `through jupyter-scheduler, its job ${done.scheduler_job}`
          : `process ${done.pid}`;
      const text = `schedule ${schedule.id} of ${model} started (${how}); its job shows below once recorded`;
      return { done, text };
    });
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Run `action` on `model` as an activity that says `doing` until the server answered,
   * then what it did or the server's message; then read everything again.
   */
  private async _act<T>(
    model: string,
    doing: string,
    action: () => Promise<{ done: T; text: string }>
  ): Promise<T> {
    const activity: IActivity = { model, state: 'running', text: `${doing}…` };
    this._activities = [...this._activities.filter(a => a.state === 'running'), activity];
    this._changed.emit();
    let ended: IActivity;
    try {
      const { done, text } = await action();
      ended = { model, state: 'done', text };
      return done;
    } catch (error) {
      ended = { model, state: 'failed', text: `${doing} failed: ${asApiError(error).message}` };
      throw error;
    } finally {
      // said as soon as the server answered: a read after it may wait on a busy registry
      this._activities = this._activities.map(a => (a === activity ? ended : a));
      if (!this.isDisposed) {
        this._changed.emit();
      }
      await this.refresh();
    }
  }

  /** The tab shown again: read at once if the panel is shown (hidden, the poll stood by). */
  private _onVisibility = (): void => {
    const started = this._poll.state.phase !== 'constructed';
    if (document.visibilityState === 'visible' && !this._hidden && started && !this.isDisposed) {
      void this.refresh();
    }
  };

  private _read(): Promise<void> {
    const reading = this._readAll().finally(() => {
      this._reading = null;
    });
    this._reading = reading.catch(() => undefined);
    return reading;
  }

  private async _readAll(): Promise<void> {
    const expanded = [...this._expanded];
    const [registry, fleet, alerts, schedules] = await Promise.all([
      settle(this._api.registry()),
      settle(this._api.fleet()),
      settle(this._api.alerts({ limit: this._alertLimit })),
      settle(this._api.schedules()),
      ...expanded.map(model => this._readVersions(model, { quiet: true }))
    ]);
    if ('value' in registry) {
      this._see(registry.value);
    }
    const failed = [registry, fleet, alerts, schedules].find(answer => 'error' in answer);
    if ('value' in fleet && 'value' in alerts && 'value' in schedules) {
      this._fleet = fleet.value.models;
      this._alerts = alerts.value.rows;
      this._schedules = schedules.value.schedules;
      this._readAt = new Date();
      this._started();
    }
    this._error = failed && 'error' in failed ? asApiError(failed.error) : null;
    this._loaded = true;
    if (!this.isDisposed) {
      this._changed.emit();
    }
    if (failed && 'error' in failed) {
      throw failed.error; // the poll waits longer before the next try
    }
  }

  /** Forget the runs started here whose job a read has found (or whose schedule is gone). */
  private _started(): void {
    for (const [id, before] of [...this._starting]) {
      const schedule = this._schedules.find(found => found.id === id);
      if (!schedule || (schedule.last_job?.id ?? null) !== before) {
        this._starting.delete(id);
      }
    }
  }

  /** Keep the registry's answer, and whether one seen before is gone. */
  private _see(registry: IRegistry): void {
    const seen = this._registry?.exists || this._gone;
    this._gone = !registry.exists && !!seen && this._registry?.home === registry.home;
    this._registry = registry;
  }

  private async _readVersions(model: string, options = { quiet: false }): Promise<void> {
    const known = this._versions.get(model);
    if (known?.loading) {
      return;
    }
    this._versions.set(model, { rows: known?.rows ?? null, error: null, loading: true });
    if (!options.quiet) {
      this._changed.emit();
    }
    let entry: IVersions;
    try {
      const { rows } = await this._api.versions(model);
      entry = { rows, error: null, loading: false };
    } catch (error) {
      entry = { rows: known?.rows ?? null, error: asApiError(error), loading: false };
    }
    this._versions.set(model, entry);
    if (!options.quiet && !this.isDisposed) {
      this._changed.emit();
    }
  }

  private _frequency(seconds: number) {
    const interval = Math.max(1, seconds) * 1000;
    return { interval, backoff: true, max: Math.max(interval, this._maxInterval * 1000) };
  }

  private _api: Api;
  private _alertLimit: number;
  private _activities: IActivity[] = [];
  private _alerts: IAlert[] = [];
  private _changed = new Signal<this, void>(this);
  private _error: ApiError | null = null;
  private _expanded = new Set<string>();
  private _filter = '';
  private _gone = false;
  private _fleet: IModelHealth[] = [];
  private _hidden = false;
  private _loaded = false;
  private _maxInterval: number;
  private _poll: Poll;
  private _readAt: Date | null = null;
  private _reading: Promise<void> | null = null;
  private _registry: IRegistry | null = null;
  private _schedules: ISchedule[] = [];
  /** Schedules run now from here, each with its newest job's id when it was started. */
  private _starting = new Map<number, number | null>();
  private _versions = new Map<string, IVersions>();
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'internal', String(error));
}

/** A promise's outcome, never a rejection (Promise.allSettled, past the ES2018 this targets). */
function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    value => ({ value }),
    error => ({ error })
  );
}

/**
 * What an alias event says happened: "churn@champion points at v3 now (was v1)"; or, when
 * the server moved nothing (`kind` "unchanged"), its note saying so.
 */
function moved(ref: string, done: IDone): string {
  if (done.kind === 'unchanged') {
    return noted(done) ?? `${ref} points at v${done.to_version} already; nothing changed`;
  }
  const from = done.from_version === null || done.from_version === undefined;
  const was = from ? 'pointed at nothing' : `was v${done.from_version}`;
  return `${ref} points at v${done.to_version} now (${was})`;
}

/** The server's own sentence on what it did (or that it changed nothing), when it said one. */
function noted(done: IDone): string | null {
  return typeof done.note === 'string' && done.note.trim() ? done.note.trim() : null;
}
