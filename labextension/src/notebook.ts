/**
 * A model's dashboard, opened where the person works: a code cell `%mlops dashboard NAME`
 * inserted below the active cell of the current notebook (a new one on the default kernel
 * when none is open) and run. The kernel loads the extension first, silently, so the cell
 * holds only the magic.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { IModelHealth } from './api';

/** Run silently before the magic: loads the extension only where it is not loaded yet. */
export const LOAD_EXTENSION = [
  'if "mlops" not in get_ipython().magics_manager.magics["line"]:',
  '    get_ipython().run_line_magic("load_ext", "jupyter_mlops")'
].join('\n');

export const DEFAULT_KERNEL = 'python3';

export async function openDashboard(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  model: string
): Promise<NotebookPanel> {
  const panel =
    tracker.currentWidget ??
    ((await app.commands.execute('notebook:create-new', {
      kernelName: DEFAULT_KERNEL
    })) as NotebookPanel);
  app.shell.activateById(panel.id);
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    throw new Error(`${panel.title.label} has no kernel: pick one, then open the dashboard again`);
  }
  await kernel.requestExecute({ code: LOAD_EXTENSION, silent: true }).done;
  const notebook = panel.content;
  const only = notebook.widgets.length === 1 ? notebook.widgets[0] : null;
  if (!only || only.model.sharedModel.getSource().trim()) {
    NotebookActions.insertBelow(notebook); // a new notebook's one empty cell is used instead
  }
  notebook.activeCell?.model.sharedModel.setSource(`%mlops dashboard ${model}`);
  await NotebookActions.run(notebook, panel.sessionContext);
  return panel;
}

/** The line that loads a model in a cell: its champion, else its first alias, else its latest. */
export function loadSnippet(model: IModelHealth): string {
  const aliases = Object.keys(model.aliases);
  const alias = aliases.includes('champion') ? 'champion' : aliases[0];
  const ref = alias ? `${model.name}@${alias}` : `${model.name}:${model.latest ?? 1}`;
  return `model = %mlops load ${ref}`;
}
