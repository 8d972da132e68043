/**
 * Promote, roll back and archive, each as one JupyterLab dialog: the server's plan first
 * (what will change, which deployments follow), then a reason, then the action itself with
 * `expect` set to the version the plan showed, so an alias moved by someone else in the
 * meantime is refused (409) and said so, never silently overwritten.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { Action, IPlan, IPlanRequest } from './api';
import { MlopsModel } from './model';

/** What the dialog hands back when accepted. */
interface IChoice {
  plan: IPlan;
  reason: string;
  /** The plan shown is allowed, up to date with the alias typed, and a reason is given. */
  ready: boolean;
}

const VERBS: { [action in Action]: string } = {
  promote: 'Promote',
  rollback: 'Roll back',
  archive: 'Archive'
};

/** Plan `request` on `name`, show it, and carry it out if the person accepts with a reason. */
export async function planAndAct(
  model: MlopsModel,
  name: string,
  request: IPlanRequest
): Promise<void> {
  const verb = VERBS[request.action];
  let plan: IPlan;
  try {
    plan = await model.plan(name, request);
  } catch (error) {
    await showErrorMessage(`${verb} ${name}: no plan`, String((error as Error).message));
    return;
  }
  const body = new PlanBody(plan, {
    askAlias: request.action === 'promote',
    replan: alias => model.plan(name, { ...request, alias })
  });
  const buttons = plan.allowed
    ? [Dialog.cancelButton(), Dialog.okButton({ label: verb })]
    : [Dialog.cancelButton({ label: 'Close' })];
  const result = await showDialog<IChoice>({
    title: `${verb} ${name}`,
    body,
    buttons,
    focusNodeSelector: 'input.jp-mlops-reason'
  });
  const choice = result.value;
  if (!result.button.accept || !choice) {
    return;
  }
  if (!choice.ready) {
    const why = !choice.plan.allowed
      ? choice.plan.refusal ?? choice.plan.summary
      : 'a reason is required (say why, for the audit log), and the plan must match the alias typed';
    await showErrorMessage(`${verb} ${name}: nothing was changed`, why);
    return;
  }
  try {
    await act(model, name, choice);
  } catch (error) {
    await showErrorMessage(`${verb} ${name} failed`, String((error as Error).message));
  }
}

function act(model: MlopsModel, name: string, { plan, reason }: IChoice) {
  const alias = plan.alias ?? 'champion';
  switch (plan.action) {
    case 'promote':
      return model.promote(name, {
        version: plan.version as number,
        alias,
        reason,
        expect: plan.from_version
      });
    case 'rollback':
      return model.rollback(name, { alias, reason, expect: plan.from_version });
    case 'archive':
      return model.archive(name, { version: plan.version as number, reason });
  }
}

/**
 * The dialog's body: the plan (planned again when the alias changes), an alias input for a
 * promotion, and the reason. The accept button stays disabled while the reason is empty or
 * the plan is refused.
 */
class PlanBody extends Widget implements Dialog.IBodyWidget<IChoice> {
  constructor(
    private _plan: IPlan,
    private readonly _options: { askAlias: boolean; replan: (alias: string) => Promise<IPlan> }
  ) {
    super();
    this.addClass('jp-mlops-dialog');
    this._planNode = document.createElement('div');
    this._planNode.className = 'jp-mlops-plan';
    this.node.appendChild(this._planNode);
    if (_options.askAlias) {
      this._alias = input('jp-mlops-alias-input', 'Alias', _plan.alias ?? 'champion');
      this._alias.addEventListener('input', () => {
        // plan again once the typing pauses; accept waits for that plan
        this._planning = true;
        this._update();
        window.clearTimeout(this._timer);
        this._timer = window.setTimeout(() => void this._replan(), 300);
      });
      this.node.appendChild(label('Alias', this._alias));
    }
    this._reason = input('jp-mlops-reason', 'Why (kept in the audit log)', '');
    this._reason.required = true;
    this._reason.addEventListener('input', () => this._update());
    this.node.appendChild(label('Reason', this._reason));
    this._renderPlan();
  }

  getValue(): IChoice {
    const reason = this._reason.value.trim();
    const ready = this._plan.allowed && !!reason && !this._planning;
    return { plan: this._plan, reason, ready };
  }

  protected onAfterAttach(): void {
    this._update();
  }

  private async _replan(): Promise<void> {
    const alias = this._alias?.value.trim();
    if (!alias || alias === this._plan.alias) {
      this._planning = false;
      this._update();
      return;
    }
    try {
      this._plan = await this._options.replan(alias);
    } catch (error) {
      this._plan = { ...this._plan, alias, allowed: false, refusal: (error as Error).message };
    }
    this._planning = false;
    this._renderPlan();
    this._update();
  }

  private _renderPlan(): void {
    const plan = this._plan;
    this._planNode.replaceChildren();
    const summary = document.createElement('p');
    summary.className = 'jp-mlops-plan-summary';
    summary.textContent = plan.summary;
    this._planNode.appendChild(summary);
    if (!plan.allowed && plan.refusal && !plan.summary.includes(plan.refusal)) {
      const refusal = document.createElement('p');
      refusal.className = 'jp-mlops-refusal';
      refusal.textContent = plan.refusal;
      this._planNode.appendChild(refusal);
    }
    const list = document.createElement('ul');
    list.className = 'jp-mlops-plan-deployments';
    for (const deployment of plan.deployments) {
      const item = document.createElement('li');
      const served =
        deployment.version === null ? 'a version it did not say' : `v${deployment.version}`;
      item.textContent = `${deployment.ref} (${deployment.status}) serves ${served}`;
      list.appendChild(item);
    }
    if (!plan.deployments.length) {
      const item = document.createElement('li');
      item.textContent = 'No deployment follows this.';
      list.appendChild(item);
    }
    this._planNode.appendChild(list);
  }

  private _update(): void {
    const accept = this.node
      .closest('.jp-Dialog')
      ?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    if (accept) {
      accept.disabled = !this.getValue().ready;
    }
  }

  private _alias: HTMLInputElement | null = null;
  private _planning = false;
  private _timer = 0;
  private _planNode: HTMLDivElement;
  private _reason: HTMLInputElement;
}

function input(className: string, placeholder: string, value: string): HTMLInputElement {
  const node = document.createElement('input');
  node.className = `${className} jp-mod-styled`;
  node.placeholder = placeholder;
  node.value = value;
  return node;
}

function label(text: string, field: HTMLInputElement): HTMLLabelElement {
  const node = document.createElement('label');
  node.className = 'jp-mlops-field';
  node.append(text, field);
  return node;
}
