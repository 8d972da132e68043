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
    accept: node.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept'),
    missing: node.querySelector('.jp-mlops-missing')?.textContent ?? '',
    /** The labels of the buttons a person sees. */
    buttons: [...node.querySelectorAll<HTMLElement>('.jp-Dialog-button')]
      .filter(button => button.style.display !== 'none')
      .map(button => {
        const label = button.querySelector('.jp-Dialog-buttonLabel');
        // read as seen (the attribute, or the property the dialog set, as jsdom keeps it)
        const read = label?.getAttribute('aria-label') ?? (label as any)?.ariaLabel;
        expect(read).toBe(label?.textContent);
        return button.textContent;
      }),
    /** Whether the reason is asked for: its field is there and shown. */
    asksReason: !!node.querySelector<HTMLElement>('input.jp-mlops-reason') &&
      node.querySelector<HTMLElement>('input.jp-mlops-reason')!.closest<HTMLElement>('label')!
        .style.display !== 'none'
  };
}

/** Enter in a field, as a person presses it there. */
function enter(input: HTMLInputElement): void {
  input.focus();
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
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
    await done;
    expect(model.activities).toEqual([
      {
        model: 'churn',
        state: 'failed',
        text: expect.stringContaining('churn@champion moved since you looked')
      }
    ]);
    expect(model.fleet[0].aliases.champion).toBe(3);
  });

  it('promotes to the alias on screen: a cleared alias disables accepting', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    type(dialog().alias!, 'staging');
    await waitFor(() => dialog().plan.includes('churn@staging'));
    type(dialog().alias!, '');
    type(dialog().reason!, 'try it on staging');
    await waitFor(() => dialog().missing.includes('an alias'));
    expect(dialog().accept?.disabled).toBe(true);
    type(dialog().alias!, 'canary');
    expect(dialog().accept?.disabled).toBe(true);
    await waitFor(() => dialog().plan.includes('churn@canary'));
    expect(dialog().accept?.disabled).toBe(false);
    dialog().accept!.click();
    await done;
    const promote = server.seen.find(r => r.path.endsWith('/promote'))!;
    expect(promote.body).toMatchObject({ alias: 'canary', version: 2 });
    expect(model.fleet[0].aliases).toEqual({ champion: 1, canary: 2 });
  });

  it('keeps the dialog on Enter until it is ready, says what is missing, and loses nothing', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    enter(dialog().reason!); // a blank reason
    expect(document.querySelectorAll('.jp-Dialog')).toHaveLength(1);
    expect(dialog().missing).toContain('a reason');

    type(dialog().alias!, 'staging');
    type(dialog().reason!, 'staging first');
    enter(dialog().reason!); // the plan for staging is still on its way
    expect(document.querySelectorAll('.jp-Dialog')).toHaveLength(1);
    expect(dialog().missing).toContain('the plan for staging: it is still loading');
    expect(dialog().reason?.value).toBe('staging first');
    expect(server.seen.some(r => r.path.endsWith('/promote'))).toBe(false);

    await waitFor(() => dialog().plan.includes('churn@staging'));
    expect(dialog().missing).toBe('');
    enter(dialog().reason!);
    await done;
    const promote = server.seen.find(r => r.path.endsWith('/promote'))!;
    expect(promote.body).toMatchObject({ alias: 'staging', reason: 'staging first' });
  });

  it('shows a refused archive with its refusal and Close, nothing to fill in', async () => {
    const done = planAndAct(model, 'churn', { action: 'archive', version: 1 });
    await waitForDialog();
    expect(dialog().plan).toContain('churn@champion points at version 1');
    expect(dialog().reason).toBeNull();
    expect(dialog().alias).toBeNull();
    expect(dialog().accept).toBeNull();
    await dismissDialog();
    await done;
    expect(server.seen.some(r => r.path.endsWith('/archive'))).toBe(false);
  });

  it('shows an archive that would change nothing as such, with only Close', async () => {
    server.models.get('churn')!.archived.add(2);
    const done = planAndAct(model, 'churn', { action: 'archive', version: 2 });
    await waitForDialog();
    expect(dialog().plan).toContain('Nothing would change: churn v2 is archived already');
    expect(dialog().asksReason).toBe(false);
    expect(dialog().buttons).toEqual(['Close']);
    await dismissDialog();
    await done;
    expect(server.seen.some(r => r.path.endsWith('/archive'))).toBe(false);
    expect(model.activities).toEqual([]);
  });

  it('asks nothing for a promotion to where the alias points already, until another alias is typed', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 1 });
    await waitForDialog();
    expect(dialog().plan).toContain('Nothing would change: churn@champion points at v1 already');
    expect(dialog().asksReason).toBe(false);
    expect(dialog().buttons).toEqual(['Close']);
    enter(dialog().alias!);
    expect(document.querySelectorAll('.jp-Dialog')).toHaveLength(1);

    type(dialog().alias!, 'challenger');
    await waitFor(() => dialog().plan.includes('churn@challenger: none -> 1'));
    expect(dialog().plan).not.toContain('Nothing would change');
    expect(dialog().asksReason).toBe(true);
    expect(dialog().buttons).toEqual(['Cancel', 'Promote']);
    type(dialog().reason!, 'a second opinion');
    dialog().accept!.click();
    await done;
    expect(model.fleet[0].aliases).toEqual({ champion: 1, challenger: 1 });
  });

  it('says what is missing in one sentence, and no plan for an alias cleared', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    type(dialog().alias!, '1');
    await waitFor(() => dialog().plan.includes('would be read as a version'));
    expect(dialog().missing).toBe(
      "Still needed: an allowed plan: alias '1' would be read as a version; choose a name such as 'champion'."
    );
    type(dialog().alias!, '');
    expect(dialog().plan).not.toContain('would be read as a version');
    expect(dialog().plan).toBe('No alias: no plan yet.');
    expect(dialog().missing).toBe(
      'Still needed: an alias: type the one to point at this version (champion is the usual one).'
    );
    type(dialog().alias!, '1'); // the plan for it is the one known: shown again
    expect(dialog().plan).toContain('would be read as a version');
    await dismissDialog();
    await done;
  });

  it('lists the deployments that follow only when there are some', async () => {
    const done = planAndAct(model, 'churn', { action: 'promote', version: 2 });
    await waitForDialog();
    expect(dialog().plan).toBe(
      'promote churn@champion: 1 -> 2; no running deployment follows churn@champion.'
    );
    expect(dialog().node.querySelector('.jp-mlops-plan-deployments')).toBeNull();
    await dismissDialog();
    await done;
  });

  it('rolls back to the version the plan showed, or is refused if it would go elsewhere', async () => {
    server.move('churn', 'champion', 2);
    let done = planAndAct(model, 'churn', { action: 'rollback', alias: 'champion' });
    await waitForDialog();
    expect(dialog().plan).toContain('2 -> 1');
    server.move('churn', 'champion', 3); // another process: 3, then back to 2
    server.move('churn', 'champion', 2);
    type(dialog().reason!, 'v2 is worse');
    dialog().accept!.click();
    await done;
    expect(model.activities[0].text).toContain('would now roll back to version 3, not 1');
    const refused = server.seen.find(r => r.path.endsWith('/rollback'))!;
    expect(refused.body).toEqual({ alias: 'champion', reason: 'v2 is worse', expect: 2, to: 1 });
    expect(model.fleet[0].aliases.champion).toBe(2);

    done = planAndAct(model, 'churn', { action: 'rollback', alias: 'champion' });
    await waitForDialog();
    expect(dialog().plan).toContain('2 -> 3');
    type(dialog().reason!, 'v2 is worse');
    dialog().accept!.click();
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
