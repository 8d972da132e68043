/**
 * The sidebar's view of an `MlopsModel`: the registry, the actions under way or just done,
 * what is wrong (or that there is no registry yet), a filter, the recent alerts, and one row
 * per model (health, aliases, what each deployment serves, actions), its versions when
 * expanded. It renders and forwards clicks; it never asks the server anything itself.
 *
 * Everything above the models keeps its size (the alerts scroll in their own box, and fold);
 * the models scroll on their own, so a fleet of hundreds never pushes the rest out of view.
 * Nothing scrolls sideways: a long name (of a model, an alias) ends in an ellipsis and shows
 * whole in its tooltip. A model with an action under way has its actions disabled until that
 * action is over; an archived version's promote and archive are disabled for good, their
 * tooltips saying why.
 *
 * The class names and data attributes are the contract the browser tests select on.
 */
import {
  Button,
  caretDownIcon,
  caretRightIcon,
  closeIcon,
  copyIcon,
  launchIcon,
  ReactWidget,
  refreshIcon,
  undoIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import {
  ApiError,
  ENABLE_COMMAND,
  IAlert,
  IDeployment,
  IModelHealth,
  ISchedule,
  IVersion
} from './api';
import { mlopsIcon } from './icon';
import { ModelJobs } from './jobs';
import { IActivity, MlopsModel } from './model';

/** What the panel's buttons do; the plugin wires them to dialogs and commands. */
export interface IPanelActions {
  promote(model: IModelHealth, version: IVersion): void;
  archive(model: IModelHealth, version: IVersion): void;
  rollback(model: IModelHealth, alias: string): void;
  dashboard(model: string): void;
  copy(model: IModelHealth): void;
  runNow(schedule: ISchedule): void;
  refresh(): void;
}

export const PANEL_ID = 'jp-mlops-panel';

export class MlopsPanel extends ReactWidget {
  constructor(
    readonly model: MlopsModel,
    private readonly _actions: IPanelActions
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-mlops-Panel');
    this.title.icon = mlopsIcon;
    this.title.caption = 'MLOps';
    this.model.setHidden(true); // until the sidebar shows it
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <PanelView model={this.model} actions={this._actions} />}
      </UseSignal>
    );
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setHidden(!this.isVisible);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setHidden(false);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setHidden(true);
  }
}

interface IViewProps {
  model: MlopsModel;
  actions: IPanelActions;
}

function PanelView({ model, actions }: IViewProps): JSX.Element {
  const registry = model.registry;
  return (
    <div className="jp-mlops-body">
      <header className="jp-mlops-header">
        <span className="jp-mlops-title">MLOps</span>
        <Button
          minimal
          small
          className="jp-mlops-refresh"
          title="Read the registry again"
          onClick={() => actions.refresh()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </header>
      {registry && (
        <div className="jp-mlops-registry" title={registry.home}>
          {registry.home}
        </div>
      )}
      <Activities model={model} />
      <State model={model} />
      <input
        className="jp-mlops-filter"
        type="search"
        placeholder="Filter models by name"
        value={model.filter}
        onChange={event => {
          model.filter = event.target.value;
        }}
      />
      <Alerts alerts={model.alerts} />
      <Fleet model={model} actions={actions} />
    </div>
  );
}

/** The actions under way, then what each did or the server's message. */
function Activities({ model }: { model: MlopsModel }): JSX.Element | null {
  const activities = model.activities;
  if (!activities.length) {
    return null;
  }
  return (
    <div className="jp-mlops-status" role="status">
      <div className="jp-mlops-status-lines">
        {activities.map((activity: IActivity, index) => (
          <div
            key={index}
            className={`jp-mlops-activity jp-mlops-activity-${activity.state}`}
            data-model={activity.model}
            data-state={activity.state}
          >
            {activity.text}
          </div>
        ))}
      </div>
      {activities.some(activity => activity.state !== 'running') && (
        <button
          className="jp-mlops-dismiss"
          title="Hide what is done"
          onClick={() => model.dismiss()}
        >
          <closeIcon.react tag="span" />
        </button>
      )}
    </div>
  );
}

/**
 * Only what is true now: the error of the last read (and when the models shown were read),
 * else a registry that was there and is gone, else a registry not made yet.
 */
function State({ model }: { model: MlopsModel }): JSX.Element | null {
  const registry = model.registry;
  if (model.error) {
    const readAt = model.readAt;
    return (
      <>
        <ErrorView error={model.error} />
        {readAt && model.fleet.length > 0 && (
          <div className="jp-mlops-note jp-mlops-stale">
            The models below are as read at {readAt.toLocaleTimeString()}.
          </div>
        )}
      </>
    );
  }
  if (registry && model.gone) {
    return (
      <div className="jp-mlops-error jp-mlops-gone">
        The registry at <code>{registry.home}</code> is gone: the panel read it before, and
        its file is no longer there (moved, deleted, or on a disk that is not mounted). Put it
        back, or set <code>MLOPS_HOME</code> to where it is now and restart JupyterLab.
      </div>
    );
  }
  if (registry && !registry.exists) {
    return (
      <div className="jp-mlops-empty">
        There is no registry at <code>{registry.home}</code> yet. Register a model from a
        notebook to create it: <code>%load_ext jupyter_mlops</code>, then{' '}
        <code>%mlops register NAME MODEL</code>; or set <code>MLOPS_HOME</code> to an existing
        registry and restart JupyterLab.
      </div>
    );
  }
  return null;
}

function ErrorView({ error }: { error: ApiError }): JSX.Element {
  if (error.disabled) {
    return (
      <div className="jp-mlops-error">
        The jupyter-mlops server extension is not enabled. Enable it with{' '}
        <code>{ENABLE_COMMAND}</code> and restart JupyterLab.
      </div>
    );
  }
  return <div className="jp-mlops-error">{error.message}</div>;
}

function Fleet({ model, actions }: IViewProps): JSX.Element {
  if (!model.loaded) {
    return <div className="jp-mlops-note">Reading the registry…</div>;
  }
  const models = model.models;
  if (model.fleet.length && !models.length) {
    return <div className="jp-mlops-note">No model name holds “{model.filter}”.</div>;
  }
  return (
    <ul className="jp-mlops-models">
      {models.map(row => (
        <ModelRow key={row.name} row={row} model={model} actions={actions} />
      ))}
    </ul>
  );
}

function ModelRow({ row, model, actions }: IViewProps & { row: IModelHealth }): JSX.Element {
  const expanded = model.isExpanded(row.name);
  const busy = model.isBusy(row.name);
  const caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <li className={`jp-mlops-model${busy ? ' jp-mod-busy' : ''}`} data-model={row.name}>
      <div className="jp-mlops-model-head">
        <button
          className="jp-mlops-toggle"
          title={`${row.name}: ${expanded ? 'hide' : 'show'} its versions`}
          aria-expanded={expanded}
          onClick={() => void model.toggle(row.name)}
        >
          <caret.react tag="span" />
          <span className="jp-mlops-name" title={row.name}>
            {row.name}
          </span>
        </button>
        <span
          className={`jp-mlops-health jp-mlops-health-${row.health.replace(/ /g, '-')}`}
          title={row.why}
        >
          {row.health}
        </span>
      </div>
      <div className="jp-mlops-model-line">
        {Object.entries(row.aliases).map(([alias, version]) => (
          <span key={alias} className="jp-mlops-alias-group">
            <span className="jp-mlops-alias" data-alias={alias} data-version={version}>
              <span className="jp-mlops-alias-name" title={alias}>
                {alias}
              </span>{' '}
              → v{version}
            </span>
            <button
              className="jp-mlops-action"
              data-action="rollback"
              data-alias={alias}
              title={`Roll ${row.name}@${alias} back to the version it pointed at before`}
              disabled={busy}
              onClick={() => actions.rollback(row, alias)}
            >
              <undoIcon.react tag="span" />
            </button>
          </span>
        ))}
        {!Object.keys(row.aliases).length && <span className="jp-mlops-note">no alias</span>}
      </div>
      {row.deployments.map(deployment => (
        <div
          key={deployment.id}
          className={`jp-mlops-served jp-mlops-served-${deployment.status}`}
          title={deployment.url ?? ''}
        >
          {deployment.ref}:{' '}
          {served(deployment)}
          {` / ${deployment.status}`}
        </div>
      ))}
      <ModelJobs row={row} model={model} busy={busy} runNow={actions.runNow} />
      <div className="jp-mlops-model-line jp-mlops-buttons">
        <button
          className="jp-mlops-action"
          data-action="dashboard"
          title={`Open ${row.name}'s dashboard in the current notebook`}
          onClick={() => actions.dashboard(row.name)}
        >
          <launchIcon.react tag="span" /> dashboard
        </button>
        <button
          className="jp-mlops-action"
          data-action="copy"
          title="Copy the code that loads this model"
          onClick={() => actions.copy(row)}
        >
          <copyIcon.react tag="span" /> copy load
        </button>
      </div>
      {expanded && <Versions row={row} model={model} actions={actions} busy={busy} />}
    </li>
  );
}

function Versions(
  props: IViewProps & { row: IModelHealth; busy: boolean }
): JSX.Element {
  const { row, model, actions, busy } = props;
  const known = model.versions(row.name);
  return (
    <div className="jp-mlops-versions">
      {known?.error && <div className="jp-mlops-error">{known.error.message}</div>}
      {!known?.rows && known?.loading && <div className="jp-mlops-note">Reading versions…</div>}
      {(known?.rows ?? [])
        .slice()
        .reverse()
        .map(version => (
          <VersionRow
            key={version.version}
            row={row}
            version={version}
            actions={actions}
            busy={busy}
          />
        ))}
    </div>
  );
}

function VersionRow(props: {
  row: IModelHealth;
  version: IVersion;
  actions: IPanelActions;
  busy: boolean;
}): JSX.Element {
  const { row, version, actions, busy } = props;
  const metrics = Object.entries(version.metrics ?? {}).slice(0, 3);
  const aliases = Object.entries(row.aliases)
    .filter(([, number]) => number === version.version)
    .map(([alias]) => alias);
  const archived = version.status === 'archived';
  return (
    <div className="jp-mlops-version" data-version={version.version} data-status={version.status}>
      <div className="jp-mlops-version-head">
        <span className="jp-mlops-version-number">v{version.version}</span>
        {aliases.map(alias => (
          <span key={alias} className="jp-mlops-tag" title={alias}>
            {alias}
          </span>
        ))}
        {version.status !== 'ready' && <span className="jp-mlops-tag">{version.status}</span>}
        <span className="jp-mlops-spacer" />
        <button
          className="jp-mlops-action"
          data-action="promote"
          title={
            archived
              ? `Version ${version.version} is archived: an archived version cannot be promoted`
              : `Point an alias of ${row.name} at version ${version.version}`
          }
          disabled={busy || archived}
          onClick={() => actions.promote(row, version)}
        >
          promote
        </button>
        <button
          className="jp-mlops-action"
          data-action="archive"
          title={
            archived
              ? `Version ${version.version} is archived already`
              : `Archive version ${version.version}`
          }
          disabled={busy || archived}
          onClick={() => actions.archive(row, version)}
        >
          archive
        </button>
      </div>
      <div className="jp-mlops-version-line" title={version.created_at}>
        {version.created_by}, {when(version.created_at)}
      </div>
      {metrics.length > 0 && (
        <div className="jp-mlops-metrics">
          {metrics.map(([name, value]) => (
            <span key={name} className="jp-mlops-metric">
              {name} {value === null ? '–' : Number(value.toPrecision(3))}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

/** The recent alerts, above the models: a box of its own height that scrolls, and folds. */
function Alerts({ alerts }: { alerts: readonly IAlert[] }): JSX.Element {
  const [open, setOpen] = React.useState(true);
  return (
    <details
      className="jp-mlops-alerts"
      open={open}
      onToggle={event => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary className="jp-mlops-subtitle">Recent alerts ({alerts.length})</summary>
      <div className="jp-mlops-alert-list">
        {!alerts.length && <div className="jp-mlops-note">No alert yet.</div>}
        {alerts.map(alert => (
          <div
            key={alert.id}
            className={`jp-mlops-alert jp-mlops-alert-${alert.kind}`}
            data-model={alert.model}
            title={alert.expression}
          >
            <span className="jp-mlops-alert-kind">{alert.kind}</span>{' '}
            <span className="jp-mlops-name" title={alert.model}>
              {alert.model}
            </span>{' '}
            <code className="jp-mlops-rule">{alert.expression}</code>
            <div className="jp-mlops-version-line">{when(alert.occurred_at)}</div>
          </div>
        ))}
      </div>
    </details>
  );
}

/** A timestamp as a person reads it, in their own time zone. */
function when(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** What a deployment serves, as far as the fleet knows: a stopped one served its version
 * (it serves nothing now), and a running one that did not answer serves a version unknown
 * here, not nothing. */
function served(deployment: IDeployment): string {
  const running = deployment.status === 'running';
  if (deployment.version !== null) {
    return `${running ? 'serving' : 'served'} v${deployment.version}`;
  }
  return running ? 'serving a version it did not say' : 'serving nothing';
}
