import { dismissDialog, waitForDialog } from '@jupyterlab/testing';

import { MlopsApi } from '../api';
import { planAndAct } from '../dialogs';
import { MlopsModel } from '../model';
import { FakeServer } from './server';

/** The dialog on screen, and its parts as a person sees them. */
function dialog() {
  const node = document.querySelector<HTMLElement>('.jp-Dialog')!;
  return {
    node,
    plan: node.querySelector('.jp-mlops-plan')?.textContent ?? '',
    reason: node.querySelector<HTMLInputElement>('input.jp-mlops-reason'),
    alias: node.querySelector<HTMLInputElement>('input.jp-mlops-alias-input'),
    accept: node.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept')
  };
}

function type(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('planAndAct', () => {
  let server: FakeServer;
  let model: MlopsModel;

  beforeEach(async () => {
    server = new FakeServer();
    model = new MlopsModel({ api: new MlopsApi(server.settings()), refreshInterval: 60 });
    await model.refresh();
  });

  afterEach(() => {
    model.dispose();
    document.querySelectorAll('.jp-Dialog').forEach(node => node.remove());
  });

  it('shows the plan, wants a reason, then promotes with the version the plan showed', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    const shown = dialog();
    expect(shown.plan).toContain('promote churn@champion: 1 -> 2');
    expect(shown.alias?.value).toBe('champion');
    expect(shown.accept?.disabled).toBe(true);
    type(shown.reason!, 'auc up on the holdout');
    expect(shown.accept?.disabled).toBe(false);
    shown.accept!.click();
    await done;
    const promote = server.seen.find(r => r.path.endsWith('/promote'))!;
    expect(promote.body).toEqual({
      version: 2,
      alias: 'champion',
      reason: 'auc up on the holdout',
      expect: 1
    });
    expect(model.fleet[0].aliases.champion).toBe(2);
  });

  it('plans again for another alias before it can be accepted', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    type(dialog().reason!, 'try it');
    type(dialog().alias!, 'challenger');
    expect(dialog().accept?.disabled).toBe(true); // until the new plan is in
    await waitFor(() => dialog().plan.includes('challenger'));
    expect(dialog().accept?.disabled).toBe(false);
    dialog().accept!.click();
    await done;
    const promote = server.seen.find(r => r.path.endsWith('/promote'))!;
    expect(promote.body).toMatchObject({ alias: 'challenger', expect: null });
    expect(model.fleet[0].aliases).toEqual({ champion: 1, challenger: 2 });
  });

  it('shows a refused plan with no way to accept it', async () => {
    const done = planAndAct(model, 'churn', { action: 'rollback', alias: 'champion' });
    await waitForDialog();
    expect(dialog().plan).toContain('pointed at nothing before');
    expect(dialog().accept).toBeNull();
    await dismissDialog();
    await done;
    expect(server.seen.some(r => r.path.endsWith('/rollback'))).toBe(false);
  });

  it('says so when the alias moved after the plan was shown', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    server.move('churn', 'champion', 3); // another process, while the dialog is open
    type(dialog().reason!, 'auc up');
    dialog().accept!.click();
    await waitFor(() => !!document.querySelector('.jp-Dialog')?.textContent?.includes('moved'));
    expect(document.querySelector('.jp-Dialog')?.textContent).toContain(
      'churn@champion moved since you looked'
    );
    await dismissDialog();
    await done;
    expect(model.fleet[0].aliases.champion).toBe(3);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  expect(condition()).toBe(true);
}
