/**
 * A stand-in for the jupyter-mlops server, at the edge of the browser: a `fetch` that answers
 * the contract's routes from a small in-memory registry, as the Python handlers do (the same
 * JSON shapes, the same error bodies), and records every request it got.
 *
 * It can also play what a test needs from a real server: another process moving an alias,
 * failing reads or actions, answering slowly (held until released: every request, or the
 * actions only, as a registry locked by another process does), or not being there at all
 * (Jupyter's own 404 page, as when the server extension is not enabled).
 */
import { ServerConnection } from '@jupyterlab/services';

export interface ISeen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: Headers;
}

interface IModel {
  aliases: { [alias: string]: number };
  history: { [alias: string]: number[] };
  versions: number[];
  archived: Set<number>;
  health: string;
}

export interface IFakeSchedule {
  id: number;
  model: string;
  notebook: string;
  parameters: { [name: string]: string };
  every: string;
  backend: string;
  state: string;
  next_run: string | null;
}

export interface IFakeJob {
  id: number;
  model: string;
  status: string;
  schedule: number | null;
  at: string;
  message: string;
}

export class FakeServer {
  readonly seen: ISeen[] = [];
  /** Answer everything with Jupyter's HTML 404, as when the server extension is missing. */
  disabled = false;
  /** Answer the next reads with this error, until set back to null (the registry's own
   * route still answers where it is and whether its file exists, as the server does). */
  failing: { status: number; kind: string; message: string } | null = null;
  /** Answer actions (promote, rollback, archive) with this error, until set back to null. */
  refusing: { status: number; kind: string; message: string } | null = null;
  /** Requests are answered only when released (to see what happens while one is slow). */
  holding = false;
  /** Actions only are answered when released; reads and plans go on. */
  holdingActions = false;
  /** The most requests that were waiting at once. */
  maxInFlight = 0;
  registryExists = true;
  readonly home = '/tmp/registry';
  readonly models = new Map<string, IModel>();
  readonly alerts: { id: number; model: string; rule_id: number; expression: string }[] = [];

  constructor() {
    this.add('churn', { versions: 2, aliases: { champion: 1 }, health: 'alerting' });
    this.add('tumour', { versions: 2, aliases: { champion: 1 }, health: 'healthy' });
    this.add('diagnosis', { versions: 2, aliases: { champion: 1 }, health: 'never checked' });
    this.alerts.push(
      { id: 1, model: 'churn', rule_id: 1, expression: 'drift.share > 0.2' },
      { id: 2, model: 'churn', rule_id: 1, expression: 'drift.share > 0.2' }
    );
  }

  /** The schedules, as GET schedules lists them (a removed one is taken out). */
  readonly schedules: IFakeSchedule[] = [];
  /** Every model's jobs, oldest first. */
  readonly jobs: IFakeJob[] = [];
  /** The runs started by POST schedules/{id}/run, whose job is not recorded yet. */
  readonly started: number[] = [];

  /** A schedule of `model`, every hour, whose crontab entry is installed (or, `backend`
   * 'jupyter-scheduler', whose job definition is defined). */
  schedule(model: string, every = '1h', backend = 'cron'): IFakeSchedule {
    const made = {
      id: this.schedules.length + 1,
      model,
      notebook: '/home/ada/monitoring.ipynb',
      parameters: { model: `${model}@champion` },
      every,
      backend,
      state: backend === 'cron' ? 'installed' : 'defined',
      next_run: '2026-12-01T17:00:00+00:00'
    };
    this.schedules.push(made);
    return made;
  }

  /** What a run's runner does: record its job (of the schedule given, if any). */
  record(model: string, status: string, schedule: number | null = null): IFakeJob {
    const job = {
      id: this.jobs.length + 1,
      model,
      status,
      schedule,
      at: `2026-12-01T16:${String(30 + this.jobs.length).padStart(2, '0')}:00+00:00`,
      message: `${status}, made up`
    };
    this.jobs.push(job);
    return job;
  }

  /** A model's deployments as the fleet reports them, where a test sets them. */
  deployments: { [model: string]: unknown[] } = {};

  add(name: string, options: { versions: number; aliases: IModel['aliases']; health: string }) {
    const versions = Array.from({ length: options.versions }, (_, i) => i + 1);
    const history: IModel['history'] = {};
    for (const [alias, version] of Object.entries(options.aliases)) {
      history[alias] = [version];
    }
    this.models.set(name, {
      aliases: { ...options.aliases },
      history,
      versions,
      archived: new Set(),
      health: options.health
    });
  }

  /** What another process does: point an alias elsewhere. */
  move(name: string, alias: string, version: number): void {
    const model = this.models.get(name)!;
    model.aliases[alias] = version;
    (model.history[alias] ??= []).push(version);
  }

  /** Settings for a lab served under a base URL with a path, talking to this server. */
  settings(baseUrl = 'http://localhost:8888/user/ada/'): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl,
      token: 'secret',
      fetch: (input: RequestInfo, init?: RequestInit) => this.fetch(input, init)
    });
  }

  count(method: string, path: string): number {
    return this.seen.filter(r => r.method === method && r.path === path).length;
  }

  /** Answer every held request. */
  release(): void {
    this.holding = false;
    this.holdingActions = false;
    const waiting = this._held.splice(0);
    waiting.forEach(resolve => resolve());
  }

  async fetch(input: RequestInfo, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const seen: ISeen = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers
    };
    this.seen.push(seen);
    this._inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this._inFlight);
    try {
      if (this.holding || (this.holdingActions && isAction(seen))) {
        await new Promise<void>(resolve => this._held.push(resolve));
      }
      return this._answer(seen);
    } finally {
      this._inFlight -= 1;
    }
  }

  private _answer(request: ISeen): Response {
    if (this.disabled) {
      return new Response('<html><title>404 Not Found</title></html>', {
        status: 404,
        headers: { 'Content-Type': 'text/html' }
      });
    }
    const prefix = '/user/ada/mlops/api/';
    if (!request.path.startsWith(prefix)) {
      return fail(404, 'not_found', `no route ${request.path}`);
    }
    const parts = request.path.slice(prefix.length).split('/').map(decodeURIComponent);
    const [route, name, what] = parts;
    if (route === 'registry') {
      // as the server does: where the registry is, whatever state its file is in
      return json({ home: this.home, exists: this.registryExists, version: '0.1.0' });
    }
    if (this.failing && request.method === 'GET') {
      const { status, kind, message } = this.failing;
      return fail(status, kind, message);
    }
    if (route === 'models' && !name) {
      return json(this._fleet());
    }
    if (route === 'schedules' && request.method === 'GET') {
      return json({ schedules: this.schedules.map(found => this._schedule(found)) });
    }
    if (route === 'schedules' && what === 'run' && request.method === 'POST') {
      return this._run(Number(name));
    }
    if (route === 'alerts') {
      const limit = Number(request.query.get('limit') ?? 20);
      return json({ rows: this.alerts.slice().reverse().slice(0, limit) });
    }
    const model = this.models.get(name);
    if (route !== 'models' || !model) {
      return fail(404, 'not_found', `there is no model named ${JSON.stringify(name)}`);
    }
    if (what === 'versions' && request.method === 'GET') {
      return json({ rows: model.versions.map(v => version(name, v, model)) });
    }
    if (request.method === 'POST') {
      return this._act(name, model, what, request.body);
    }
    return fail(404, 'not_found', `no route ${request.path}`);
  }

  private _fleet() {
    const models = [...this.models].map(([name, model]) => ({
      name,
      description: `${name}, made up`,
      versions: model.versions.length,
      latest: Math.max(...model.versions),
      aliases: { ...model.aliases },
      deployments:
        this.deployments[name] ??
        (name === 'tumour'
          ? [
              {
                id: 1,
                ref: 'tumour@champion',
                status: 'running',
                url: 'http://127.0.0.1:1',
                version: model.aliases.champion,
                requests: 3,
                errors: 0
              }
            ]
          : []),
      last_check: null,
      health: model.health,
      why: 'made up',
      schedules: this.schedules.filter(found => found.model === name).length,
      last_job: this._last(job => job.model === name)
    }));
    return { models, filters: { name: null, health: null }, counts: {}, total: models.length };
  }

  private _last(which: (job: IFakeJob) => boolean): IFakeJob | null {
    return this.jobs.filter(which).pop() ?? null;
  }

  private _schedule(found: IFakeSchedule) {
    const job = this._last(job => job.schedule === found.id);
    const last = job && {
      id: job.id,
      status: job.status,
      started_at: job.at,
      finished_at: job.at,
      exit_code: 0
    };
    return { ...found, last_job: last };
  }

  private _run(id: number): Response {
    if (this.refusing) {
      const { status, kind, message } = this.refusing;
      return fail(status, kind, message);
    }
    const found = this.schedules.find(schedule => schedule.id === id);
    if (!found) {
      const known = this.schedules.map(schedule => schedule.id).join(', ') || 'none';
      return fail(404, 'not_found', `no schedule has id ${id} (this registry's: ${known}); list them with %mlops schedule --list.`);
    }
    this.started.push(id);
    const scheduler = found.backend === 'jupyter-scheduler';
    const how = scheduler ? 'through jupyter-scheduler on http://localhost:8888/ as its job 7f3a' : 'as process 4242';
    const note = `schedule ${id} of ${found.model} started now ${how}`;
    const started = scheduler ? { pid: null, scheduler_job: '7f3a' } : { pid: 4242, scheduler_job: null };
    return json({ schedule: id, model: found.model, ...started, started_at: '2026-12-01T16:40:00+00:00', log_file: '/tmp/registry/jobs/schedule-1.log', note }, 202);
  }

  private _act(name: string, model: IModel, what: string, body: any): Response {
    if (what === 'plan') {
      return json(plan(name, model, body));
    }
    if (this.refusing) {
      const { status, kind, message } = this.refusing;
      return fail(status, kind, message);
    }
    if (typeof body?.reason !== 'string' || !body.reason) {
      return fail(400, 'usage', 'give a reason: the audit log keeps why');
    }
    const alias = body.alias ?? 'champion';
    const current = model.aliases[alias] ?? null;
    if (what !== 'archive' && body.expect !== undefined && body.expect !== current) {
      return fail(
        409,
        'conflict',
        `${name}@${alias} moved since you looked: it is at version ${current} now, not ${body.expect}; look again and retry`
      );
    }
    if (what === 'promote' && current === body.version) {
      // as the server answers a move to where the alias is already: nothing recorded
      return json({
        kind: 'unchanged',
        model: name,
        alias,
        from_version: current,
        to_version: current,
        action: 'promote',
        changes: false,
        note: `${name}@${alias} points at version ${current} already; nothing changed, so no move was recorded.`
      });
    }
    if (what === 'promote') {
      this.move(name, alias, body.version);
      return json({ kind: 'alias', model: name, alias, from_version: current, to_version: body.version });
    }
    if (what === 'rollback') {
      const history = model.history[alias];
      const to = history[history.length - 2] ?? null;
      if (body.to !== undefined && body.to !== to) {
        return fail(
          409,
          'conflict',
          `${name}@${alias} would now roll back to version ${to}, not ${body.to}; look again and retry`
        );
      }
      history.pop();
      model.aliases[alias] = history[history.length - 1];
      return json({ kind: 'alias', model: name, alias, from_version: current, to_version: to });
    }
    if (what === 'archive') {
      const since = ' (since 2026-12-01 16:30 UTC, by ada)';
      const note = model.archived.has(body.version)
        ? `${name} version ${body.version} was already archived${since}; nothing changed.`
        : `${name} version ${body.version} archived${since}: ${body.reason}.`;
      model.archived.add(body.version);
      return json({ ...version(name, body.version, model), note });
    }
    return fail(404, 'not_found', `no route ${what}`);
  }

  private _held: (() => void)[] = [];
  private _inFlight = 0;
}

function plan(name: string, model: IModel, body: any) {
  const archive = body.action === 'archive';
  const alias = archive ? null : body.alias ?? 'champion';
  const from = alias === null ? null : model.aliases[alias] ?? null;
  const history = alias === null ? [] : model.history[alias] ?? [];
  const to =
    body.action === 'promote'
      ? body.version
      : body.action === 'rollback'
        ? history[history.length - 2] ?? null
        : null;
  const holder = Object.keys(model.aliases).find(a => model.aliases[a] === body.version);
  const archived = model.archived.has(body.version);
  const refusal =
    body.action === 'rollback' && to === null
      ? `${name}@${alias} pointed at nothing before; promote instead.`
      : archive && holder && !archived
        ? `${name}@${holder} points at version ${body.version}; point it elsewhere first.`
        : body.action === 'promote' && /^[0-9]+$/.test(alias)
          ? `alias '${alias}' would be read as a version; choose a name such as 'champion'.`
          : null;
  const changes = refusal === null && (archive ? !archived : from !== to);
  const head = archive
    ? `archive ${name} version ${body.version}`
    : `${body.action} ${name}@${alias}` + (to === null ? '' : `: ${from ?? 'none'} -> ${to}`);
  const effect = !changes
    ? archive
      ? 'it is archived already: nothing changes'
      : `it points there already: deployments keep serving version ${to}`
    : archive
      ? 'it is kept, but no longer promoted nor served by a new deployment'
      : `no running deployment follows ${name}@${alias}`;
  return {
    action: body.action,
    model: name,
    alias,
    version: body.version ?? null,
    from_version: from,
    to_version: to,
    changes,
    deployments: [],
    allowed: refusal === null,
    refusal,
    refusal_kind: refusal === null ? null : 'conflict',
    summary: refusal === null ? `${head}; ${effect}.` : `${head} is refused: ${refusal}`
  };
}

function isAction(request: ISeen): boolean {
  return request.method === 'POST' && !request.path.endsWith('/plan');
}

function version(name: string, number: number, model: IModel) {
  return {
    ref: `${name}:${number}`,
    model: name,
    version: number,
    created_at: '2026-12-01T16:24:43+00:00',
    created_by: 'ada',
    status: model.archived.has(number) ? 'archived' : 'ready',
    description: '',
    metrics: { auc: 0.9 + number / 100, accuracy: 0.8, f1: 0.7, loss: 0.1 },
    tags: {}
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

function fail(status: number, kind: string, message: string): Response {
  return json({ error: kind, message }, status);
}
