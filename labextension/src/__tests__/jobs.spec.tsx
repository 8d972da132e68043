import { Widget } from '@lumino/widgets';

import { MlopsApi } from '../api';
import { MlopsModel } from '../model';
import { IPanelActions, MlopsPanel } from '../panel';
import { FakeServer } from './server';

describe("a model's jobs and schedules in the panel", () => {
  let server: FakeServer;
  let model: MlopsModel;
  let panel: MlopsPanel;

  const actions: IPanelActions = {
    promote: () => undefined,
    archive: () => undefined,
    rollback: () => undefined,
    dashboard: () => undefined,
    copy: () => undefined,
    runNow: schedule => void model.runNow(schedule).catch(() => undefined),
    refresh: () => void model.refresh()
  };

  async function shown(): Promise<HTMLElement> {
    model = new MlopsModel({ api: new MlopsApi(server.settings()), refreshInterval: 60 });
    panel = new MlopsPanel(model, actions);
    Widget.attach(panel, document.body);
    await model.start();
    await waitFor(() => !!panel.node.querySelector('.jp-mlops-models'));
    return panel.node;
  }

  async function reread(): Promise<void> {
    await model.refresh();
    await new Promise(resolve => setTimeout(resolve, 0));
  }

  function row(name: string): HTMLElement {
    return panel.node.querySelector<HTMLElement>(`.jp-mlops-model[data-model="${name}"]`)!;
  }

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
  });

  it('shows each schedule with how often and when next, and the last job as a badge', async () => {
    const hourly = server.schedule('churn');
    server.record('churn', 'alert', hourly.id);
    await shown();
    const schedule = row('churn').querySelector<HTMLElement>('.jp-mlops-schedule[data-schedule="1"]')!;
    expect(schedule.querySelector('.jp-mlops-every')?.textContent).toBe('every 1h');
    expect(schedule.querySelector('.jp-mlops-next')?.textContent).toContain('next ');
    const last = row('churn').querySelector<HTMLElement>('.jp-mlops-last-job .jp-mlops-job')!;
    expect(last.dataset.status).toBe('alert');
    expect(last.querySelector('.jp-mlops-health-alerting')?.textContent).toBe('alert');
    expect(last.title).toBe('alert, made up');
    // a model with neither shows nothing of them
    expect(row('tumour').querySelector('.jp-mlops-jobs')).toBeNull();
  });

  it('colours a retraining the gate kept as neutral, not as never checked', async () => {
    server.record('churn', 'kept');
    await shown();
    const last = row('churn').querySelector<HTMLElement>('.jp-mlops-last-job .jp-mlops-job')!;
    expect(last.dataset.status).toBe('kept');
    expect(last.querySelector('.jp-mlops-health-neutral')?.textContent).toBe('kept');
    expect(last.querySelector('.jp-mlops-health-never-checked')).toBeNull();
  });

  it('runs a schedule now and shows its job once the server has recorded it', async () => {
    server.schedule('churn');
    await shown();
    const button = () =>
      row('churn').querySelector<HTMLButtonElement>('[data-action="run-now"][data-schedule="1"]')!;
    expect(row('churn').querySelector('.jp-mlops-schedule')?.textContent).toContain('no job yet');
    button().click();
    await waitFor(() => server.started.length === 1 && button().disabled);
    const status = () => panel.node.querySelector('.jp-mlops-status')?.textContent ?? '';
    await waitFor(() => status().includes('started'));
    expect(status()).toBe(
      'schedule 1 of churn started (process 4242); its job shows below once recorded'
    );
    expect(row('churn').querySelector('.jp-mlops-schedule')?.textContent).toContain('starting…');
    expect(server.seen.find(r => r.method === 'POST')?.headers.get('X-Mlops-Client')).toBe(
      'jupyterlab-sidebar'
    );

    server.record('churn', 'running', 1); // the runner records its job
    await reread();
    const job = () => row('churn').querySelector<HTMLElement>('.jp-mlops-schedule .jp-mlops-job');
    expect(job()?.dataset.status).toBe('running');
    expect(button().disabled).toBe(false);
    server.jobs[0].status = 'passed';
    await reread();
    expect(job()?.dataset.status).toBe('passed');
    expect(job()?.querySelector('.jp-mlops-health-ok')).not.toBeNull();
  });

  it('runs a schedule kept by jupyter-scheduler through it, and says where it is kept', async () => {
    const kept = server.schedule('churn', '1d', 'jupyter-scheduler');
    kept.next_run = null;
    kept.state = 'paused'; // paused in jupyter-scheduler: no next run
    await shown();
    const schedule = row('churn').querySelector<HTMLElement>('.jp-mlops-schedule')!;
    expect(schedule.querySelector('.jp-mlops-next')?.textContent).toBe('jupyter-scheduler: paused');
    const button = schedule.querySelector<HTMLButtonElement>('[data-action="run-now"]')!;
    expect(button.title).toBe('Run schedule 1 now, as jupyter-scheduler runs it');
    button.click();
    const status = () => panel.node.querySelector('.jp-mlops-status')?.textContent ?? '';
    await waitFor(() => status().includes('started'));
    expect(status()).toBe(
      'schedule 1 of churn started (through jupyter-scheduler, its job 7f3a); its job shows below once recorded'
    );
  });

  it("says the server's refusal of a run in the status line and starts nothing", async () => {
    server.schedule('churn');
    await shown();
    server.schedules.splice(0); // removed meanwhile, by another process
    await model.runNow({ ...model.schedulesOf('churn')[0] }).catch(() => undefined);
    const status = panel.node.querySelector('.jp-mlops-activity-failed')?.textContent ?? '';
    expect(status).toContain('starting schedule 1 of churn now failed: no schedule has id 1');
    expect(server.started).toEqual([]);
    await reread();
    expect(row('churn').querySelector('.jp-mlops-schedule')).toBeNull();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  expect(condition()).toBe(true);
}
