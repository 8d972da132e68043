/**
 * The MLOps sidebar plugin: wires the model, the panel, the dialogs and the commands
 * together, and reads the refresh interval from the settings.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification, showErrorMessage } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { MlopsApi } from './api';
import { planAndAct } from './dialogs';
import { mlopsIcon } from './icon';
import { MlopsModel } from './model';
import { loadSnippet, openDashboard } from './notebook';
import { MlopsPanel, PANEL_ID } from './panel';

const PLUGIN_ID = 'jupyter-mlops:panel';

namespace CommandIDs {
  export const openPanel = 'mlops:open-panel';
  export const openDashboard = 'mlops:open-dashboard';
  export const refresh = 'mlops:refresh';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The MLOps sidebar: models, aliases, deployments, health and alerts.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ILayoutRestorer, ICommandPalette, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settings: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const model = new MlopsModel({ api: new MlopsApi(app.serviceManager.serverSettings) });
    const panel = new MlopsPanel(model, {
      promote: (row, version) =>
        void planAndAct(model, row.name, { action: 'promote', version: version.version }),
      archive: (row, version) =>
        void planAndAct(model, row.name, { action: 'archive', version: version.version }),
      rollback: (row, alias) => void planAndAct(model, row.name, { action: 'rollback', alias }),
      dashboard: name => void app.commands.execute(CommandIDs.openDashboard, { model: name }),
      copy: row => {
        const snippet = loadSnippet(row);
        Clipboard.copyToSystem(snippet);
        Notification.info(`Copied: ${snippet}`, { autoClose: 3000 });
      },
      runNow: schedule =>
        void model.runNow(schedule).catch(() => undefined), // said in the status line
      refresh: () => void app.commands.execute(CommandIDs.refresh)
    });

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show the MLOps panel',
      icon: mlopsIcon,
      execute: () => app.shell.activateById(PANEL_ID)
    });
    app.commands.addCommand(CommandIDs.openDashboard, {
      label: args => (args.model ? `Open the dashboard of ${args.model}` : 'Open a model dashboard'),
      execute: async args => {
        const name = String(args.model ?? '');
        if (!name) {
          return;
        }
        try {
          await openDashboard(app, tracker, name);
        } catch (error) {
          await showErrorMessage(`Dashboard of ${name}`, String((error as Error).message));
        }
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh the MLOps panel',
      execute: () => model.refresh()
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'MLOps' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'MLOps' });

    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PANEL_ID);

    if (settings) {
      void settings.load(PLUGIN_ID).then(
        loaded => {
          const apply = () => model.setInterval(loaded.get('refreshInterval').composite as number);
          apply();
          loaded.changed.connect(apply);
        },
        reason => console.error(`jupyter-mlops: the panel settings did not load: ${reason}`)
      );
    }
    void model.start();
  }
};

export default plugin;
