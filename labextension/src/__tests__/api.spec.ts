import { ServerConnection } from '@jupyterlab/services';

import { ApiError, DISABLED_MESSAGE, ENABLE_COMMAND, MlopsApi, requestAPI } from '../api';
import { FakeServer } from './server';

/** The error a request failed with (and a failed test if it did not fail). */
async function failure(request: Promise<unknown>): Promise<ApiError> {
  try {
    await request;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('the request did not fail');
}

describe('api', () => {
  let server: FakeServer;
  let api: MlopsApi;

  beforeEach(() => {
    server = new FakeServer();
    api = new MlopsApi(server.settings());
  });

  it('reads under the base URL, with the token the lab holds', async () => {
    const registry = await api.registry();
    expect(registry).toEqual({ home: '/tmp/registry', exists: true, version: '0.1.0' });
    expect(server.seen[0].path).toBe('/user/ada/mlops/api/registry');
    expect(server.seen[0].headers.get('Authorization')).toBe('token secret');
  });

  it('encodes a model name as one path segment', async () => {
    server.add('fraud/eu v2', { versions: 1, aliases: {}, health: 'healthy' });
    const { rows } = await api.versions('fraud/eu v2');
    expect(rows.map(row => row.ref)).toEqual(['fraud/eu v2:1']);
    expect(server.seen[0].path).toBe('/user/ada/mlops/api/models/fraud%2Feu%20v2/versions');
  });

  it('sends query values it is given and leaves out the others', async () => {
    await api.alerts({ limit: 1 });
    await api.alerts({ model: 'churn', limit: 5 });
    expect(server.seen[0].query.get('limit')).toBe('1');
    expect(server.seen[0].query.has('model')).toBe(false);
    expect(server.seen[1].query.get('model')).toBe('churn');
    expect(server.seen[1].query.get('limit')).toBe('5');
  });

  it('posts JSON and returns what the server answered', async () => {
    const plan = await api.plan('churn', { action: 'promote', version: 2, alias: 'champion' });
    expect(plan).toMatchObject({ from_version: 1, to_version: 2, allowed: true });
    const done = await api.promote('churn', {
      version: 2,
      alias: 'champion',
      reason: 'better auc',
      expect: 1
    });
    expect(done).toMatchObject({ from_version: 1, to_version: 2 });
    const post = server.seen[1];
    expect(post.method).toBe('POST');
    expect(post.headers.get('Content-Type')).toBe('application/json');
    expect(post.body).toEqual({ version: 2, alias: 'champion', reason: 'better auc', expect: 1 });
  });

  it("keeps the server's kind, status and message on an error", async () => {
    server.move('churn', 'champion', 2);
    const promote = api.promote('churn', { version: 2, alias: 'champion', reason: 'r', expect: 1 });
    await expect(promote).rejects.toMatchObject({
      name: 'ApiError',
      status: 409,
      kind: 'conflict',
      message: expect.stringContaining('churn@champion moved since you looked')
    });
  });

  it('tells a model that is not there from a server extension that is not there', async () => {
    const missing = await failure(api.versions('nope'));
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing.kind).toBe('not_found');
    expect(missing.disabled).toBe(false);

    server.disabled = true;
    const disabled = await failure(api.fleet());
    expect(disabled).toMatchObject({ status: 404, kind: 'disabled', disabled: true });
    expect(disabled.message).toContain(DISABLED_MESSAGE);
    expect(disabled.message).toContain(ENABLE_COMMAND);
  });

  it('says what a server that answered no JSON said', async () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      fetch: async () => new Response('Traceback: boom', { status: 500 })
    });
    const error = await failure(requestAPI(['models'], {}, settings));
    expect(error).toMatchObject({ status: 500, kind: 'internal' });
    expect(error.message).toContain('Traceback: boom');
  });

  it('says the server did not answer when nothing did', async () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      }
    });
    const error = await failure(requestAPI(['registry'], {}, settings));
    expect(error).toMatchObject({ status: 0, kind: 'network' });
    expect(error.message).toBe(
      'the Jupyter server is not answering: is it still running? The panel tries again by itself'
    );
    expect(error.message).not.toMatch(/TypeError|fetch/);
  });

  it('names itself on every request, so the server can record where an action came from', async () => {
    await api.fleet();
    await api.plan('churn', { action: 'archive', version: 2 });
    await api.archive('churn', { version: 2, reason: 'retired' });
    expect(server.seen.map(r => r.headers.get('X-Mlops-Client'))).toEqual([
      'jupyterlab-sidebar',
      'jupyterlab-sidebar',
      'jupyterlab-sidebar'
    ]);
    expect(server.seen[1].headers.get('Content-Type')).toBe('application/json');
  });
});
