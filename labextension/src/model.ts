/**
 * What the panel shows, kept up to date: the registry, its models, the versions of the models
 * a person expanded, the recent alerts, and the last error. No DOM here; views listen to
 * `changed` and read the getters.
 *
 * One `Poll` reads everything every `refreshInterval` seconds. A poll never starts a tick
 * before the last one settled, and `refresh()` first lets a read in flight finish, so requests
 * never pile up behind a slow server. A failed read keeps the last data, shows the error and
 * waits longer each time, up to `maxInterval`; the poll stands by while the panel or the
 * browser tab is hidden. Every action reads again once done, whether it worked or not.
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
  IVersion,
  MlopsApi
} from './api';

/** The routes the model reads and acts through (an `MlopsApi`, or a stand-in server). */
export type Api = Pick<
  MlopsApi,
  'registry' | 'fleet' | 'versions' | 'alerts' | 'plan' | 'promote' | 'rollback' | 'archive'
>;

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
      name: 'jupyter-mlops:panel',
      standby: () => this._hidden || 'when-hidden'
    });
    // set apart from the constructor, which would raise any max below 30 s to 30 s
    this.setInterval(options.refreshInterval ?? 5);
  }

  /** Emitted whenever anything the panel shows changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get registry(): IRegistry | null {
    return this._registry;
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

  /** Whether the panel is hidden: a hidden panel reads nothing; shown again, it reads at once. */
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
    return this._act(() => this._api.promote(model, body));
  }

  rollback(model: string, body: IRollback): Promise<IDone> {
    return this._act(() => this._api.rollback(model, body));
  }

  archive(model: string, body: IArchive): Promise<IDone> {
    return this._act(() => this._api.archive(model, body));
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _act(action: () => Promise<IDone>): Promise<IDone> {
    try {
      return await action();
    } finally {
      await this.refresh();
    }
  }

  private _read(): Promise<void> {
    const reading = this._readAll().finally(() => {
      this._reading = null;
    });
    this._reading = reading.catch(() => undefined);
    return reading;
  }

  private async _readAll(): Promise<void> {
    const expanded = [...this._expanded];
    try {
      const [registry, fleet, alerts] = await Promise.all([
        this._api.registry(),
        this._api.fleet(),
        this._api.alerts({ limit: this._alertLimit }),
        ...expanded.map(model => this._readVersions(model, { quiet: true }))
      ]);
      this._registry = registry;
      this._fleet = fleet.models;
      this._alerts = alerts.rows;
      this._error = null;
    } catch (error) {
      this._error = asApiError(error);
      throw error; // the poll waits longer before the next try
    } finally {
      this._loaded = true;
      if (!this.isDisposed) {
        this._changed.emit();
      }
    }
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
  private _alerts: IAlert[] = [];
  private _changed = new Signal<this, void>(this);
  private _error: ApiError | null = null;
  private _expanded = new Set<string>();
  private _filter = '';
  private _fleet: IModelHealth[] = [];
  private _hidden = false;
  private _loaded = false;
  private _maxInterval: number;
  private _poll: Poll;
  private _reading: Promise<void> | null = null;
  private _registry: IRegistry | null = null;
  private _versions = new Map<string, IVersions>();
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'internal', String(error));
}
