import { MlopsApi } from '../api';
import { MlopsModel } from '../model';
import { FakeServer } from './server';

const FLEET = '/user/ada/mlops/api/models';

describe('MlopsModel', () => {
  let server: FakeServer;
  let model: MlopsModel;

  /** A model on the fake server, its clock under the test's control, started and read once. */
  async function started(options: Partial<MlopsModel.IOptions> = {}): Promise<MlopsModel> {
    model = new MlopsModel({ api: new MlopsApi(server.settings()), ...options });
    await model.start();
    await wait(0);
    return model;
  }

  /** What `promise` settles to, letting the clock give it the timers it waits for. */
  async function settled<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true)
    );
    for (let i = 0; i < 100 && !done; i++) {
      await jest.advanceTimersByTimeAsync(0);
    }
    return promise;
  }

  /** Let the clock run: timers fire, and the requests they send are answered. */
  async function wait(ms: number): Promise<void> {
    await jest.advanceTimersByTimeAsync(ms);
  }

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
    jest.restoreAllMocks();
    tab(null);
  });

  it('reads the registry, the fleet and the recent alerts, newest first', async () => {
    await started();
    expect(model.loaded).toBe(true);
    expect(model.error).toBeNull();
    expect(model.registry?.home).toBe('/tmp/registry');
    expect(model.fleet.map(m => m.name)).toEqual(['churn', 'tumour', 'diagnosis']);
    expect(model.fleet[0].aliases).toEqual({ champion: 1 });
    expect(model.alerts.map(a => a.id)).toEqual([2, 1]);
  });

  it('filters models by name as the text changes, ignoring case', async () => {
    await started();
    const changes = jest.fn();
    model.changed.connect(changes);
    model.filter = 'TU';
    expect(model.models.map(m => m.name)).toEqual(['tumour']);
    model.filter = 'o';
    expect(model.models.map(m => m.name)).toEqual(['churn', 'tumour', 'diagnosis'].slice(1));
    model.filter = '';
    expect(model.models).toHaveLength(3);
    expect(changes).toHaveBeenCalledTimes(3);
    expect(server.count('GET', FLEET)).toBe(1); // filtering asks the server nothing
  });

  it('reads again every interval and shows what another process changed', async () => {
    await started({ refreshInterval: 5 });
    server.move('churn', 'champion', 2);
    await wait(4900);
    expect(server.count('GET', FLEET)).toBe(1);
    expect(model.fleet[0].aliases.champion).toBe(1);
    await wait(200);
    expect(server.count('GET', FLEET)).toBe(2);
    expect(model.fleet[0].aliases.champion).toBe(2);
  });

  it('follows a new interval from the settings', async () => {
    await started({ refreshInterval: 5 });
    model.setInterval(1);
    await wait(8000); // the tick already scheduled at 5 s, then one a second
    expect(server.count('GET', FLEET)).toBeGreaterThanOrEqual(5);
  });

  it('shows the error, keeps the last data and waits longer after each failure, up to the max', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999); // the longest wait Poll would pick
    await started({ refreshInterval: 1, maxInterval: 8 });
    server.failing = { status: 503, kind: 'busy', message: 'the registry is busy (PID 42)' };
    const times: number[] = [];
    const fleet = server.fetch.bind(server);
    jest.spyOn(server, 'fetch').mockImplementation((input, init) => {
      if (new Request(input, init).url.includes('/models?')) {
        times.push(Date.now());
      }
      return fleet(input, init);
    });
    await wait(60_000);
    expect(model.error).toMatchObject({ status: 503, kind: 'busy' });
    expect(model.error?.message).toBe('the registry is busy (PID 42)');
    expect(model.fleet).toHaveLength(3);
    const gaps = times.slice(1).map((time, i) => time - times[i]);
    expect(gaps.length).toBeGreaterThan(4);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8000);
    expect(gaps[gaps.length - 1]).toBe(8000);

    server.failing = null;
    await wait(8000);
    expect(model.error).toBeNull();
    const count = times.length;
    await wait(3000);
    expect(times.length - count).toBeGreaterThanOrEqual(2); // back to once a second
  });

  it('never sends a read while the last one is still unanswered', async () => {
    await started({ refreshInterval: 1 });
    server.holding = true;
    await wait(1000);
    expect(server.count('GET', FLEET)).toBe(2);
    await wait(30_000); // a slow server: no tick starts before this one settles
    const refreshed = model.refresh();
    await wait(1000);
    expect(server.count('GET', FLEET)).toBe(2);
    expect(server.maxInFlight).toBe(4); // registry, fleet, alerts and schedules of one read
    server.release();
    await wait(0);
    await refreshed;
    expect(server.count('GET', FLEET)).toBe(3);
    expect(server.maxInFlight).toBe(4);
  });

  it('reads nothing while the panel is hidden, and reads at once when shown again', async () => {
    await started({ refreshInterval: 1 });
    model.setHidden(true);
    await wait(1000); // a tick may already have been scheduled
    const count = server.count('GET', FLEET);
    server.move('churn', 'champion', 2);
    await wait(30_000);
    expect(server.count('GET', FLEET)).toBe(count);
    model.setHidden(false);
    await wait(0);
    expect(server.count('GET', FLEET)).toBe(count + 1);
    expect(model.fleet[0].aliases.champion).toBe(2);
  });

  it('reads nothing while the browser tab is hidden, and reads at once when it shows again', async () => {
    await started({ refreshInterval: 1 });
    tab('hidden');
    const count = server.count('GET', FLEET);
    server.move('churn', 'champion', 2);
    await wait(30_000);
    expect(server.count('GET', FLEET)).toBe(count);
    expect(model.fleet[0].aliases.champion).toBe(1);
    tab('visible');
    await wait(0);
    expect(server.count('GET', FLEET)).toBe(count + 1);
    expect(model.fleet[0].aliases.champion).toBe(2);
  });

  it('reads nothing when the tab shows again while the panel itself is hidden', async () => {
    await started({ refreshInterval: 1 });
    model.setHidden(true);
    tab('hidden');
    await wait(1000);
    const count = server.count('GET', FLEET);
    tab('visible');
    await wait(30_000);
    expect(server.count('GET', FLEET)).toBe(count);
  });

  it("reads a model's versions when expanded, and again with every read", async () => {
    await started({ refreshInterval: 5 });
    await model.toggle('churn');
    expect(model.isExpanded('churn')).toBe(true);
    expect(model.versions('churn')?.rows?.map(v => v.version)).toEqual([1, 2]);
    server.models.get('churn')!.versions.push(3);
    await wait(5000);
    expect(model.versions('churn')?.rows?.map(v => v.version)).toEqual([1, 2, 3]);
    await model.toggle('churn');
    expect(model.isExpanded('churn')).toBe(false);
  });

  it('keeps the error of versions that could not be read on the model they belong to', async () => {
    await started();
    server.models.delete('tumour');
    await model.toggle('tumour');
    expect(model.versions('tumour')?.error?.kind).toBe('not_found');
    expect(model.error).toBeNull();
  });

  it('promotes what the plan showed, then shows the new state without waiting', async () => {
    await started({ refreshInterval: 60 });
    const plan = await model.plan('churn', { action: 'promote', version: 2, alias: 'champion' });
    expect(plan).toMatchObject({ allowed: true, from_version: 1, to_version: 2 });
    await settled(model.promote('churn', {
      version: 2,
      alias: 'champion',
      reason: 'auc up',
      expect: plan.from_version
    }));
    const promote = server.seen.find(r => r.path.endsWith('/promote'))!;
    expect(promote.body).toEqual({ version: 2, alias: 'champion', reason: 'auc up', expect: 1 });
    expect(model.fleet[0].aliases.champion).toBe(2);
    expect(server.count('GET', FLEET)).toBe(2);
  });

  it('rolls back, and archives, each followed by a read', async () => {
    await started({ refreshInterval: 60 });
    server.move('churn', 'champion', 2);
    const plan = await model.plan('churn', { action: 'rollback', alias: 'champion' });
    expect(plan).toMatchObject({ allowed: true, from_version: 2, to_version: 1 });
    await settled(model.rollback('churn', { alias: 'champion', reason: 'worse', expect: 2, to: 1 }));
    expect(model.fleet[0].aliases.champion).toBe(1);
    await model.toggle('churn');
    await settled(model.archive('churn', { version: 2, reason: 'superseded' }));
    expect(model.versions('churn')?.rows?.[1].status).toBe('archived');
  });

  it('refuses an alias moved since the plan, says so, and shows where it is now', async () => {
    await started({ refreshInterval: 60 });
    const plan = await model.plan('churn', { action: 'promote', version: 2, alias: 'champion' });
    server.move('churn', 'champion', 3); // someone else, meanwhile
    const promote = settled(
      model.promote('churn', {
        version: 2,
        alias: 'champion',
        reason: 'auc up',
        expect: plan.from_version
      })
    );
    await expect(promote).rejects.toMatchObject({ status: 409, kind: 'conflict' });
    await expect(promote).rejects.toThrow('moved since you looked');
    expect(model.fleet[0].aliases.champion).toBe(3);
  });

  it('says when the server extension is not enabled', async () => {
    server.disabled = true;
    await started();
    expect(model.error?.disabled).toBe(true);
    expect(model.fleet).toHaveLength(0);
  });

  it('knows a registry that does not exist yet', async () => {
    server.registryExists = false;
    server.models.clear();
    await started();
    expect(model.registry).toMatchObject({ exists: false, home: '/tmp/registry' });
    expect(model.fleet).toHaveLength(0);
    expect(model.error).toBeNull();
  });

  it('says what an action is doing while the server holds it, and its model waits', async () => {
    await started({ refreshInterval: 60 });
    server.holdingActions = true; // another process holds the registry's lock
    const promote = settled(
      model.promote('churn', { version: 2, alias: 'champion', reason: 'auc up', expect: 1 })
    );
    await wait(0);
    expect(model.activities).toEqual([
      { model: 'churn', state: 'running', text: 'promoting churn@champion to v2…' }
    ]);
    expect(model.isBusy('churn')).toBe(true);
    expect(model.isBusy('tumour')).toBe(false);
    server.release();
    await promote;
    expect(model.activities).toEqual([
      { model: 'churn', state: 'done', text: 'churn@champion points at v2 now (was v1)' }
    ]);
    expect(model.isBusy('churn')).toBe(false);
    expect(model.fleet[0].aliases.champion).toBe(2);
    model.dismiss();
    expect(model.activities).toEqual([]);
  });

  it('says that a promotion to the version its alias points at already changed nothing', async () => {
    await started({ refreshInterval: 60 });
    const done = await settled(
      model.promote('churn', { version: 1, alias: 'champion', reason: 'again', expect: 1 })
    );
    expect(done).toMatchObject({ kind: 'unchanged', changes: false });
    expect(model.activities).toEqual([
      {
        model: 'churn',
        state: 'done',
        text: 'churn@champion points at version 1 already; nothing changed, so no move was recorded.'
      }
    ]);
  });

  it("says the server's note on an archive, and that nothing changed the second time", async () => {
    await started({ refreshInterval: 60 });
    await settled(model.archive('churn', { version: 2, reason: 'superseded' }));
    expect(model.activities[0].text).toBe(
      'churn version 2 archived (since 2026-12-01 16:30 UTC, by ada): superseded.'
    );
    await settled(model.archive('churn', { version: 2, reason: 'superseded' }));
    expect(model.activities).toEqual([
      {
        model: 'churn',
        state: 'done',
        text: 'churn version 2 was already archived (since 2026-12-01 16:30 UTC, by ada); nothing changed.'
      }
    ]);
  });

  it("says the server's message when an action fails", async () => {
    await started({ refreshInterval: 60 });
    server.refusing = { status: 503, kind: 'busy', message: 'the registry is busy (PID 42)' };
    const rollback = settled(
      model.rollback('churn', { alias: 'champion', reason: 'worse', expect: 1, to: 1 })
    );
    await expect(rollback).rejects.toMatchObject({ status: 503 });
    expect(model.activities).toEqual([
      {
        model: 'churn',
        state: 'failed',
        text: 'rolling churn@champion back to v1 failed: the registry is busy (PID 42)'
      }
    ]);
    expect(model.isBusy('churn')).toBe(false);
  });

  it('keeps what the registry says of itself when its models cannot be read', async () => {
    server.registryExists = false;
    await started({ refreshInterval: 1 });
    expect(model.registry?.exists).toBe(false);
    server.registryExists = true; // a file appeared, and it is damaged
    server.failing = { status: 503, kind: 'integrity', message: 'the registry file is damaged' };
    await wait(1000);
    expect(model.error).toMatchObject({ kind: 'integrity' });
    expect(model.registry?.exists).toBe(true);
    expect(model.gone).toBe(false);
  });

  it('knows a registry it read before and that is no longer there', async () => {
    await started({ refreshInterval: 1 });
    expect(model.gone).toBe(false);
    server.registryExists = false;
    server.models.clear();
    await wait(1000);
    expect(model.registry?.exists).toBe(false);
    expect(model.gone).toBe(true);
    await wait(1000);
    expect(model.gone).toBe(true); // still gone, not "not made yet"
    server.registryExists = true;
    await wait(1000);
    expect(model.gone).toBe(false);
  });
});

/**
 * The browser tab as hidden or shown (null: as the test environment has it), told to the
 * page as a browser tells it, with a `visibilitychange` event.
 */
function tab(state: 'hidden' | 'visible' | null): void {
  if (state === null) {
    delete (document as any).visibilityState;
    delete (document as any).hidden;
  } else {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  }
  document.dispatchEvent(new Event('visibilitychange'));
}
