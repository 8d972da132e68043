/**
 * Promote, roll back and archive, each as one JupyterLab dialog: the server's plan first
 * (what will change, which deployments follow), then a reason, then the action itself with
 * `expect` set to the version the plan showed (and, for a rollback, `to` the version it
 * showed going to), so an alias moved by someone else in the meantime is refused (409) and
 * said so, never silently overwritten.
 *
 * What is done is always what is on screen: a promotion goes to the alias typed, and only
 * once the plan shown is the plan for that alias. Until the dialog is ready (an alias, its
 * plan, a reason), accepting is disabled, Enter keeps the dialog open and says what is
 * missing, and nothing typed is lost. A refused plan shows its refusal and Close, nothing to
 * fill in; so does a plan that would change nothing (an alias at that version already, a
 * version archived already), but for a promotion's alias box, since another alias may move.
 * The dialog closes once accepted; the panel's status line then says what is under way, and
 * what it did, that nothing changed, or the server's message (a refusal of a moved alias
 * among them).
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { Action, IPlan, IPlanRequest } from './api';
import { MlopsModel } from './model';

/** What the dialog hands back when accepted. */
interface IChoice {
  plan: IPlan;
  /** The alias on screen (the plan's own for a rollback or an archive). */
  alias: string | null;
  reason: string;
  /** What is still missing before it can be done, as the dialog says it; null when ready. */
  missing: string | null;
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
  if (model.isBusy(name)) {
    return; // the panel says what is under way; its buttons wait for it
  }
  let plan: IPlan;
  try {
    plan = await model.plan(name, request);
  } catch (error) {
    await showErrorMessage(`${verb} ${name}: no plan`, String((error as Error).message));
    return;
  }
  const choice = await choose(model, name, request, plan);
  if (!choice) {
    return;
  }
  // the panel's status line says what is under way, then what it did or why it failed
  await act(model, name, choice).catch(() => undefined);
}

/**
 * The dialog, until it is cancelled (null) or accepted ready. Accepted before it was ready
 * (Enter is held back, so only some other way), it comes back with what was typed and says
 * what is missing.
 */
async function choose(
  model: MlopsModel,
  name: string,
  request: IPlanRequest,
  plan: IPlan
): Promise<IChoice | null> {
  const verb = VERBS[request.action];
  let typed: IChoice | null = null;
  for (;;) {
    const body: PlanBody = new PlanBody(typed?.plan ?? plan, {
      askAlias: request.action === 'promote',
      replan: alias => model.plan(name, { ...request, alias }),
      typed
    });
    const result: Dialog.IResult<IChoice> = await showDialog<IChoice>({
      title: `${verb} ${name}`,
      body,
      buttons: body.ready
        ? [Dialog.cancelButton(), Dialog.okButton({ label: verb })]
        : [Dialog.cancelButton({ label: 'Close' })],
      focusNodeSelector: 'input.jp-mlops-reason'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    if (result.value.missing === null) {
      return result.value;
    }
    typed = result.value;
  }
}

function act(model: MlopsModel, name: string, { plan, alias, reason }: IChoice) {
  const to = alias ?? plan.alias ?? 'champion';
  switch (plan.action) {
    case 'promote':
      return model.promote(name, {
        version: plan.version as number,
        alias: to,
        reason,
        expect: plan.from_version
      });
    case 'rollback':
      return model.rollback(name, {
        alias: to,
        reason,
        expect: plan.from_version,
        to: plan.to_version
      });
    case 'archive':
      return model.archive(name, { version: plan.version as number, reason });
  }
}

namespace PlanBody {
  export interface IOptions {
    /** Ask which alias (a promotion), planning again for each one typed. */
    askAlias: boolean;
    replan: (alias: string) => Promise<IPlan>;
    /** What was typed in this dialog before it closed unready: shown again, with what is missing. */
    typed?: IChoice | null;
  }
}

/**
 * The dialog's body: the plan (planned again when the alias changes), an alias input for a
 * promotion, the reason, and what is missing. A plan refused from the start has no inputs.
 */
class PlanBody extends Widget implements Dialog.IBodyWidget<IChoice> {
  constructor(
    private _plan: IPlan,
    private readonly _options: PlanBody.IOptions
  ) {
    super();
    this.addClass('jp-mlops-dialog');
    this._planNode = document.createElement('div');
    this._planNode.className = 'jp-mlops-plan';
    this.node.appendChild(this._planNode);
    this._missingNode = document.createElement('p');
    this._missingNode.className = 'jp-mlops-missing';
    this._missingNode.setAttribute('role', 'status');
    const typed = _options.typed;
    this._told = !!typed;
    // a refused plan asks for nothing: its refusal and Close; so does one that changes
    // nothing, but for a promotion's alias box (another alias may move)
    this.ready = (_plan.allowed && (_plan.changes || _options.askAlias)) || !!typed;
    if (this.ready && _options.askAlias) {
      this._alias = input('jp-mlops-alias-input', 'Alias', typed?.alias ?? _plan.alias ?? 'champion');
      this._alias.addEventListener('input', () => {
        this._update();
        window.clearTimeout(this._timer);
        this._timer = window.setTimeout(() => void this._replan(), 300);
      });
      this.node.appendChild(label('Alias', this._alias));
      if (this._typedAlias() !== _plan.alias) {
        this._timer = window.setTimeout(() => void this._replan(), 0);
      }
    }
    if (this.ready) {
      this._reason = input('jp-mlops-reason', 'Why (kept in the audit log)', typed?.reason ?? '');
      this._reason.required = true;
      this._reason.addEventListener('input', () => this._update());
      this._reasonField = label('Reason', this._reason);
      this.node.appendChild(this._reasonField);
      this.node.appendChild(this._missingNode);
    }
    this._renderPlan();
  }

  /** Whether the dialog asks for anything (a plan refused from the start asks nothing). */
  readonly ready: boolean;

  getValue(): IChoice {
    return {
      plan: this._plan,
      alias: this._alias ? this._typedAlias() : this._plan.alias,
      reason: this._reason?.value.trim() ?? '',
      missing: this._missing()
    };
  }

  /** Enter, anywhere in the dialog's fields: let the dialog accept only when it is ready. */
  handleEvent(event: Event): void {
    const key = event as KeyboardEvent;
    if (key.key !== 'Enter' || !this.node.contains(key.target as Node) || !this._missing()) {
      return;
    }
    // the dialog would accept on Enter: keep it open, and say what is missing
    key.preventDefault();
    key.stopPropagation();
    this._told = true;
    this._update();
  }

  protected onAfterAttach(): void {
    // before the dialog's own handler (on its node, capturing), so it never sees this Enter
    document.addEventListener('keydown', this, true);
    this._update();
  }

  protected onBeforeDetach(): void {
    document.removeEventListener('keydown', this, true);
  }

  dispose(): void {
    document.removeEventListener('keydown', this, true);
    window.clearTimeout(this._timer);
    super.dispose();
  }

  /** The alias on screen, trimmed. */
  private _typedAlias(): string {
    return this._alias?.value.trim() ?? '';
  }

  /** Whether the plan on screen is the one for what is typed, allowed, and changes nothing. */
  private _idle(): boolean {
    const plan = this._plan;
    const current = !this._alias || this._typedAlias() === plan.alias;
    return plan.allowed && !plan.changes && current;
  }

  /** What is missing before the action can be done, in the words the dialog shows; or null. */
  private _missing(): string | null {
    if (!this.ready) {
      return this._plan.allowed
        ? `a change: ${unchanged(this._plan)}`
        : `the plan is refused: ${this._plan.refusal ?? this._plan.summary}`;
    }
    if (this._alias) {
      const alias = this._typedAlias();
      if (!alias) {
        return 'an alias: type the one to point at this version (champion is the usual one)';
      }
      if (alias !== this._plan.alias) {
        return `the plan for ${alias}: it is still loading`;
      }
    }
    if (!this._plan.allowed) {
      return `an allowed plan: ${this._plan.refusal ?? this._plan.summary}`;
    }
    if (!this._plan.changes) {
      return `a change: ${unchanged(this._plan)}`;
    }
    if (!this._reason?.value.trim()) {
      return 'a reason: say why, for the audit log';
    }
    return null;
  }

  private async _replan(): Promise<void> {
    const alias = this._typedAlias();
    if (!alias || alias === this._plan.alias) {
      return;
    }
    let plan: IPlan;
    try {
      plan = await this._options.replan(alias);
    } catch (error) {
      const refusal = (error as Error).message;
      plan = {
        ...this._plan,
        alias,
        allowed: false,
        refusal,
        summary: `promote ${this._plan.model}@${alias} is refused: ${refusal}`
      };
    }
    if (this.isDisposed || alias !== this._typedAlias()) {
      return; // typed on since: the plan for what is on screen now is on its way
    }
    this._plan = plan;
    this._renderPlan();
    this._update();
  }

  private _renderPlan(): void {
    const plan = this._plan;
    this._planNode.replaceChildren();
    this._blank = !!this._alias && !this._typedAlias();
    if (this._blank) {
      // the plan shown was for an alias no longer typed: it says nothing of what is on screen
      this._planNode.appendChild(paragraph('jp-mlops-plan-summary', 'No alias: no plan yet.'));
      return;
    }
    if (plan.allowed && !plan.changes) {
      this._planNode.appendChild(paragraph('jp-mlops-unchanged', unchangedLine(plan, this._alias)));
    }
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
    if (plan.deployments.length) {
      const list = document.createElement('ul');
      list.className = 'jp-mlops-plan-deployments';
      for (const deployment of plan.deployments) {
        const item = document.createElement('li');
        const served =
          deployment.version === null ? 'a version it did not say' : `v${deployment.version}`;
        item.textContent = `${deployment.ref} (${deployment.status}) serves ${served}`;
        list.appendChild(item);
      }
      this._planNode.appendChild(list);
    }
  }

  /**
   * The accept button, the stale-plan mark and the missing line, as things are now. While
   * the plan on screen changes nothing, the dialog asks for nothing: no reason, only Close.
   */
  private _update(): void {
    const missing = this._missing();
    const alias = this._typedAlias();
    if (this._blank !== (!!this._alias && !alias)) {
      this._renderPlan();
    }
    this._planNode.classList.toggle('jp-mod-stale', !!this._alias && alias !== this._plan.alias);
    const idle = this._idle();
    // a blank reason is said once the person tried to go on (its field already asks for it);
    // a plan that changes nothing says so in the plan area
    const quiet = missing?.startsWith('a reason') || idle;
    const said = missing !== null && (this._told || !quiet);
    this._missingNode.textContent = said ? `Still needed: ${sentence(missing)}` : '';
    if (this._reasonField) {
      this._reasonField.style.display = idle ? 'none' : '';
    }
    const dialog = this.node.closest('.jp-Dialog');
    const accept = dialog?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    if (accept) {
      accept.disabled = missing !== null;
      accept.style.display = idle ? 'none' : '';
      const cancel = dialog?.querySelector('.jp-Dialog-button.jp-mod-reject .jp-Dialog-buttonLabel');
      if (cancel) {
        // what it says and what a screen reader reads alike
        cancel.textContent = idle ? 'Close' : 'Cancel';
        cancel.setAttribute('aria-label', cancel.textContent);
      }
    }
  }

  private _alias: HTMLInputElement | null = null;
  /** Whether the plan area says there is no alias (it was cleared), not the last plan. */
  private _blank = false;
  private _missingNode: HTMLParagraphElement;
  private _planNode: HTMLDivElement;
  private _reason: HTMLInputElement | null = null;
  private _reasonField: HTMLLabelElement | null = null;
  private _timer = 0;
  /** Whether the person tried to go on before it was ready (the missing line shows from then). */
  private _told: boolean;
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

function paragraph(className: string, text: string): HTMLParagraphElement {
  const node = document.createElement('p');
  node.className = className;
  node.textContent = text;
  return node;
}

/** `text` as one sentence: its own final period kept, never doubled. */
function sentence(text: string): string {
  return `${text.replace(/[.\s]+$/, '')}.`;
}

/** Why a plan changes nothing: "churn@champion points at v1 already". */
function unchanged(plan: IPlan): string {
  if (plan.alias === null) {
    return `${plan.model} v${plan.version} is archived already`;
  }
  return `${plan.model}@${plan.alias} points at v${plan.to_version} already`;
}

/** The plan area's first line for a plan that changes nothing, and what can be done. */
function unchangedLine(plan: IPlan, alias: HTMLInputElement | null): string {
  const next = alias
    ? `; type another alias to point that one at v${plan.to_version}, or close`
    : ', so there is nothing to do';
  return `Nothing would change: ${unchanged(plan)}${next}.`;
}
