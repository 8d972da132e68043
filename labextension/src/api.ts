/**
 * The one module that knows the server's URLs: every route under `mlops/api/` of the Jupyter
 * server, as a typed function.
 *
 * A request goes through `ServerConnection.makeRequest`, so it carries the token, the cookie and
 * the XSRF header the server checks. A failure always arrives as an `ApiError` that keeps the
 * server's own one-sentence message: a 404 that is not the extension's JSON means the server
 * extension itself is not enabled, and the error says so with the command that enables it.
 * Every request names its client (`X-Mlops-Client: jupyterlab-sidebar`), so the audit evidence
 * of an action can say it came from the sidebar.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** What a person runs when the server side of the extension is missing. */
export const ENABLE_COMMAND = 'jupyter server extension enable jupyter_mlops.server';
export const DISABLED_MESSAGE = 'the jupyter-mlops server extension is not enabled';

/** What a request that nothing answered says (the browser's own error names no cause). */
export const UNREACHABLE_MESSAGE =
  'the Jupyter server is not answering: is it still running? The panel tries again by itself';

/** Sent with every request, so the server can record that an action came from the sidebar. */
export const CLIENT_HEADER = { name: 'X-Mlops-Client', value: 'jupyterlab-sidebar' };

/** Where the registry is and whether its file exists (the panel's setting decides how often to look). */
export interface IRegistry {
  home: string;
  exists: boolean;
  version: string;
}

export interface IDeployment {
  id: number;
  ref: string;
  status: string;
  url: string | null;
  version: number | null;
  requests: number;
  errors: number;
}

export interface ILastCheck {
  id: number;
  kind: string;
  version: number;
  at: string;
  verdict: string;
}

/** A model's newest job: `passed`, `alert`, `failed`, `timeout`, `skipped`, `missed`,
 * `running` or `crashed`, and when it started. */
export interface ILastJob {
  id: number;
  status: string;
  at: string;
  seconds: number | null;
  schedule: number | null;
  message: string | null;
}

export interface IModelHealth {
  name: string;
  description: string;
  versions: number;
  latest: number | null;
  aliases: { [alias: string]: number };
  deployments: IDeployment[];
  last_check: ILastCheck | null;
  health: string;
  why: string;
  /** How many schedules the model has (not removed). */
  schedules?: number;
  last_job?: ILastJob | null;
}

export interface IFleet {
  models: IModelHealth[];
  counts: { [health: string]: number };
  total: number;
}

export interface IVersion {
  ref: string;
  model: string;
  version: number;
  created_at: string;
  created_by: string;
  status: string;
  description: string;
  metrics: { [name: string]: number | null };
  aliases?: string[];
}

export interface IAlert {
  id: number;
  model: string;
  rule_id: number;
  expression: string;
  check_id: number | null;
  kind: string;
  occurred_at: string;
  delivered: boolean;
}

/** A schedule: how often, what keeps it (`cron`, `jupyter-scheduler`) and whether it is
 * still there, when next (null unless its crontab entry or job definition is there), and its
 * newest job. */
export interface ISchedule {
  id: number;
  model: string | null;
  notebook: string;
  parameters: { [name: string]: string };
  every: string;
  backend: string;
  state: string;
  next_run: string | null;
  last_job: {
    id: number;
    status: string;
    started_at: string;
    finished_at: string | null;
    exit_code: number | null;
  } | null;
}

/** A schedule's run started now: the process, or jupyter-scheduler's job when it started the
 * run, and the server's sentence on it. */
export interface IScheduleRun {
  schedule: number;
  model: string | null;
  pid: number | null;
  scheduler_job: string | null;
  started_at: string;
  log_file: string;
  note: string;
}

/** What the server would change, asked before any action. */
export interface IPlan {
  action: Action;
  model: string;
  alias: string | null;
  version: number | null;
  from_version: number | null;
  to_version: number | null;
  changes: boolean;
  deployments: IDeployment[];
  allowed: boolean;
  refusal: string | null;
  refusal_kind: string | null;
  summary: string;
}

export type Action = 'promote' | 'rollback' | 'archive';

export interface IPlanRequest {
  action: Action;
  version?: number;
  alias?: string;
}

export interface IPromote {
  version: number;
  alias: string;
  reason: string;
  expect: number | null;
}

export interface IRollback {
  alias: string;
  reason: string;
  expect: number | null;
  /** The version the plan showed the rollback going to: refused (409) if it would now go elsewhere. */
  to: number | null;
}

export interface IArchive {
  version: number;
  reason: string;
}

/** The record the server keeps of a done action (an alias event, or the archived version). */
export interface IDone {
  [key: string]: unknown;
}

/**
 * A request that failed: `status` is the HTTP status (0 when the server was not reached),
 * `kind` the server's error kind ("not_found", "conflict", ...), or "disabled" when the
 * server extension is missing, "network" when nothing answered.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server extension is not enabled: /mlops/api itself answered Jupyter's 404. */
  get disabled(): boolean {
    return this.kind === 'disabled';
  }
}

interface IRequest {
  method?: 'GET' | 'POST';
  query?: { [key: string]: string | number | null | undefined };
  body?: unknown;
}

/**
 * Ask the server at `mlops/api/<segments>`; each segment is URL-encoded here, so a model
 * name can hold any character.
 */
export async function requestAPI<T>(
  segments: string[],
  request: IRequest = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'mlops/api', ...segments.map(encodeURIComponent));
  const headers: { [name: string]: string } = { [CLIENT_HEADER.name]: CLIENT_HEADER.value };
  const init: RequestInit = { method: request.method ?? 'GET', headers };
  if (request.body !== undefined) {
    init.body = JSON.stringify(request.body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url + query(request.query), init, settings);
  } catch {
    // a "TypeError: Failed to fetch" names no cause a person could act on: a stopped server,
    // a lost network, a proxy that closed
    throw new ApiError(0, 'network', UNREACHABLE_MESSAGE);
  }
  const text = await response.text();
  const body = parse(text);
  if (!response.ok) {
    throw failure(response.status, body, text);
  }
  if (body === undefined) {
    throw new ApiError(response.status, 'internal', `the server answered ${url} with no JSON`);
  }
  return body as T;
}

function query(values: IRequest['query']): string {
  const kept: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value !== null && value !== undefined && value !== '') {
      kept[key] = String(value);
    }
  }
  return Object.keys(kept).length ? URLExt.objectToQueryString(kept) : '';
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failure(status: number, body: any, text: string): ApiError {
  if (body && typeof body.error === 'string') {
    return new ApiError(status, body.error, String(body.message ?? body.error));
  }
  if (status === 404) {
    // our handlers answer every 404 in JSON: a page of Jupyter's own means no handler is there
    return new ApiError(404, 'disabled', `${DISABLED_MESSAGE}: run \`${ENABLE_COMMAND}\``);
  }
  const excerpt = text.trim().slice(0, 200) || 'no message';
  return new ApiError(status, 'internal', `the server answered ${status}: ${excerpt}`);
}

/** Every route of the contract, bound to one server's settings. */
export class MlopsApi {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  registry(): Promise<IRegistry> {
    return this._get(['registry']);
  }

  fleet(): Promise<IFleet> {
    return this._get(['models']);
  }

  versions(model: string): Promise<{ rows: IVersion[] }> {
    return this._get(['models', model, 'versions']);
  }

  alerts(options: { model?: string; limit?: number } = {}): Promise<{ rows: IAlert[] }> {
    return this._get(['alerts'], { model: options.model, limit: options.limit });
  }

  schedules(options: { model?: string } = {}): Promise<{ schedules: ISchedule[] }> {
    return this._get(['schedules'], { model: options.model });
  }

  /** Start a schedule's run now, as cron or jupyter-scheduler runs it; the job it records
   * shows in a later read. */
  runSchedule(schedule: number): Promise<IScheduleRun> {
    return this._post(['schedules', String(schedule), 'run'], {});
  }

  plan(model: string, request: IPlanRequest): Promise<IPlan> {
    return this._post(['models', model, 'plan'], request);
  }

  promote(model: string, body: IPromote): Promise<IDone> {
    return this._post(['models', model, 'promote'], body);
  }

  rollback(model: string, body: IRollback): Promise<IDone> {
    return this._post(['models', model, 'rollback'], body);
  }

  archive(model: string, body: IArchive): Promise<IDone> {
    return this._post(['models', model, 'archive'], body);
  }

  private _get<T>(segments: string[], values?: IRequest['query']): Promise<T> {
    return requestAPI<T>(segments, { query: values }, this.settings);
  }

  private _post<T>(segments: string[], body: unknown): Promise<T> {
    return requestAPI<T>(segments, { method: 'POST', body }, this.settings);
  }
}
