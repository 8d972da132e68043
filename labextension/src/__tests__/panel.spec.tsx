import { Widget } from '@lumino/widgets';

import { MlopsApi } from '../api';
import { MlopsModel } from '../model';
import { IPanelActions, MlopsPanel } from '../panel';
import { FakeServer } from './server';

const LONG = 'churn_' + 'x'.repeat(122); // 128 characters

describe('MlopsPanel', () => {
  let server: FakeServer;
  let model: MlopsModel;
  let panel: MlopsPanel;
  const clicked: string[] = [];

  /** What the plugin wires the buttons to; here, a note of what was clicked. */
  const actions: IPanelActions = {
    promote: (row, version) => clicked.push(`promote ${row.name}:${version.version}`),
    archive: (row, version) => clicked.push(`archive ${row.name}:${version.version}`),
    rollback: (row, alias) => clicked.push(`rollback ${row.name}@${alias}`),
    dashboard: name => clicked.push(`dashboard ${name}`),
    copy: row => clicked.push(`copy ${row.name}`),
    runNow: schedule => clicked.push(`run-now ${schedule.id}`),
    refresh: () => void model.refresh()
  };

  /** The panel in the page, once it shows what the registry holds. */
  async function shown(): Promise<HTMLElement> {
    model = new MlopsModel({ api: new MlopsApi(server.settings()), refreshInterval: 60 });
    panel = new MlopsPanel(model, actions);
    Widget.attach(panel, document.body);
    await model.start();
    await waitFor(() => !!panel.node.querySelector('.jp-mlops-models, .jp-mlops-empty'));
    return panel.node;
  }

  /** Read again, and let the panel draw what was read. */
  async function reread(): Promise<void> {
    await model.refresh();
    await new Promise(resolve => setTimeout(resolve, 0));
  }

  function row(name: string): HTMLElement {
    return panel.node.querySelector<HTMLElement>(`.jp-mlops-model[data-model="${name}"]`)!;
  }

  beforeEach(() => {
    server = new FakeServer();
    clicked.length = 0;
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
    jest.restoreAllMocks();
  });

  it('gives a long name its tooltip, so its ellipsis hides nothing for good', async () => {
    server.add(LONG, { versions: 1, aliases: {}, health: 'never checked' });
    await shown();
    const name = row(LONG).querySelector<HTMLElement>('.jp-mlops-toggle .jp-mlops-name')!;
    expect(name.textContent).toBe(LONG);
    expect(name.title).toBe(LONG);
  });

  it('gives a long alias an ellipsis and its tooltip, as a long name', async () => {
    const alias = 'canary_' + 'y'.repeat(121); // 128 characters
    server.add('ranker', { versions: 1, aliases: { [alias]: 1 }, health: 'never checked' });
    await shown();
    const chip = row('ranker').querySelector<HTMLElement>('.jp-mlops-alias')!;
    expect(chip.dataset.alias).toBe(alias);
    const name = chip.querySelector<HTMLElement>('.jp-mlops-alias-name')!;
    expect(name.textContent).toBe(alias);
    expect(name.title).toBe(alias);
    row('ranker').querySelector<HTMLButtonElement>('.jp-mlops-toggle')!.click();
    await waitFor(() => !!row('ranker').querySelector('.jp-mlops-version .jp-mlops-tag'));
    expect(row('ranker').querySelector<HTMLElement>('.jp-mlops-tag')!.title).toBe(alias);
  });

  it("disables an archived version's promote and archive, and says why", async () => {
    server.models.get('churn')!.archived.add(2);
    await shown();
    row('churn').querySelector<HTMLButtonElement>('.jp-mlops-toggle')!.click();
    await waitFor(() => row('churn').querySelectorAll('.jp-mlops-version').length === 2);
    const button = (version: number, action: string) =>
      row('churn').querySelector<HTMLButtonElement>(
        `.jp-mlops-version[data-version="${version}"] [data-action="${action}"]`
      )!;
    expect(button(2, 'promote').disabled).toBe(true);
    expect(button(2, 'promote').title).toBe(
      'Version 2 is archived: an archived version cannot be promoted'
    );
    expect(button(2, 'archive').disabled).toBe(true);
    expect(button(2, 'archive').title).toBe('Version 2 is archived already');
    button(2, 'promote').click();
    button(2, 'archive').click();
    expect(clicked).toEqual([]);
    expect(button(1, 'promote').disabled).toBe(false);
    expect(button(1, 'archive').disabled).toBe(false);
  });

  it('says what each deployment serves: its version, what it served, or that it did not say', async () => {
    const deployment = { url: null, requests: null, errors: null };
    server.deployments.churn = [
      { ...deployment, id: 1, ref: 'churn@champion', status: 'running', version: 2 },
      { ...deployment, id: 2, ref: 'churn@canary', status: 'running', version: null },
      { ...deployment, id: 3, ref: 'churn@old', status: 'stopped', version: 1 },
      { ...deployment, id: 4, ref: 'churn@gone', status: 'dead', version: null }
    ];
    await shown();
    const said = [...row('churn').querySelectorAll('.jp-mlops-served')].map(n => n.textContent);
    expect(said).toEqual([
      'churn@champion: serving v2 / running',
      'churn@canary: serving a version it did not say / running',
      'churn@old: served v1 / stopped',
      'churn@gone: serving nothing / dead'
    ]);
  });

  it('shows the recent alerts above the models, which scroll on their own', async () => {
    const node = await shown();
    const alerts = node.querySelector('.jp-mlops-alerts')!;
    const models = node.querySelector('.jp-mlops-models')!;
    expect(alerts.compareDocumentPosition(models) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(alerts.querySelectorAll('.jp-mlops-alert')).toHaveLength(2);
    expect(node.querySelector('.jp-mlops-alerts summary')?.textContent).toBe('Recent alerts (2)');
  });

  it('says what an action is doing and holds back its model meanwhile, then says what it did', async () => {
    await shown();
    server.holdingActions = true; // another process holds the registry's lock
    const promote = model.promote('churn', {
      version: 2,
      alias: 'champion',
      reason: 'auc up',
      expect: 1
    });
    await waitFor(() => !!panel.node.querySelector('.jp-mlops-status'));
    const status = () => panel.node.querySelector('.jp-mlops-status')?.textContent ?? '';
    expect(status()).toBe('promoting churn@champion to v2…');
    const rollback = (name: string) =>
      row(name).querySelector<HTMLButtonElement>('[data-action="rollback"]')!;
    expect(rollback('churn').disabled).toBe(true);
    expect(rollback('tumour').disabled).toBe(false);
    rollback('churn').click();
    expect(clicked).toEqual([]);

    server.release();
    await promote;
    await waitFor(() => status().includes('points at v2 now'));
    expect(status()).toBe('churn@champion points at v2 now (was v1)');
    expect(rollback('churn').disabled).toBe(false);
    panel.node.querySelector<HTMLButtonElement>('.jp-mlops-dismiss')!.click();
    await waitFor(() => !panel.node.querySelector('.jp-mlops-status'));
  });

  it('shows a damaged registry as its error only, not as a registry to be made', async () => {
    server.registryExists = false;
    server.models.clear();
    const node = await shown();
    expect(node.querySelector('.jp-mlops-empty')?.textContent).toContain('no registry at');
    server.registryExists = true;
    server.failing = { status: 503, kind: 'integrity', message: 'the registry file is damaged' };
    await reread();
    await waitFor(() => !!node.querySelector('.jp-mlops-error'));
    expect(node.querySelector('.jp-mlops-error')?.textContent).toBe('the registry file is damaged');
    expect(node.querySelector('.jp-mlops-empty')).toBeNull();
  });

  it('says a registry it read before is gone, not that there is none yet', async () => {
    const node = await shown();
    server.registryExists = false;
    server.models.clear();
    await reread();
    await waitFor(() => !!node.querySelector('.jp-mlops-gone'));
    expect(node.querySelector('.jp-mlops-gone')?.textContent).toContain(
      'The registry at /tmp/registry is gone'
    );
    expect(node.querySelector('.jp-mlops-empty')).toBeNull();
    expect(node.querySelectorAll('.jp-mlops-model')).toHaveLength(0);
  });

  it('says in words that the Jupyter server is not answering', async () => {
    const node = await shown();
    jest.spyOn(server, 'fetch').mockRejectedValue(new TypeError('Failed to fetch'));
    await reread().catch(() => undefined);
    await waitFor(() => !!node.querySelector('.jp-mlops-error'));
    const said = node.querySelector('.jp-mlops-error')?.textContent ?? '';
    expect(said).toContain('the Jupyter server is not answering: is it still running?');
    expect(said).not.toMatch(/TypeError|Failed to fetch/);
  });

  it('says when the models shown were read, once reading them fails', async () => {
    const node = await shown();
    server.failing = { status: 503, kind: 'busy', message: 'the registry is busy (PID 42)' };
    await reread();
    await waitFor(() => !!node.querySelector('.jp-mlops-stale'));
    expect(node.querySelector('.jp-mlops-stale')?.textContent).toMatch(/as read at/);
    expect(node.querySelectorAll('.jp-mlops-model')).toHaveLength(3);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  expect(condition()).toBe(true);
}
