/** The panel's icon: three stacked model layers with a pulse, in the theme's icon colour. */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 2 7l10 5 10-5-10-5zm0 12.2L4.2 10.3 2 11.4l10 5 10-5-2.2-1.1L12 14.2z"/>
    <path d="M4.2 14.7 2 15.8l10 5 3.1-1.6-1.3-1.7-1.8.9-7.8-3.7z"/>
    <path d="M15 17.5h2l1-2.5 1.5 5 1-2.5H23v-1.4h-1.6L19.6 20 18 15l-1.8 1.1H15z"/>
  </g>
</svg>`;

export const mlopsIcon = new LabIcon({ name: 'jupyter-mlops:icon', svgstr: svg });
