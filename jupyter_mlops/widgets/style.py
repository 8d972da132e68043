"""The dashboards' CSS: JupyterLab's theme variables, so light and dark themes both read
(VS Code maps them too); a fallback colour for front ends without them."""

STYLE = """<style>
.jp-mlops-dashboard { color: var(--jp-ui-font-color1, inherit);
  font-size: var(--jp-ui-font-size1, 13px); }
.jp-mlops-dashboard table { border-collapse: collapse; }
.jp-mlops-dashboard th, .jp-mlops-dashboard td { padding: 2px 8px; text-align: left;
  border-bottom: 1px solid var(--jp-border-color2, #ddd); }
.jp-mlops-status-loading { color: var(--jp-ui-font-color2, #666); }
.jp-mlops-status-failed { color: var(--jp-error-color1, #d32f2f); font-weight: bold; }
.jp-mlops-status-done { color: var(--jp-ui-font-color2, #666); }
.jp-mlops-badge { padding: 0 6px; border-radius: 8px; white-space: nowrap;
  color: var(--jp-ui-inverse-font-color1, #fff); }
.jp-mlops-health-ok { background: var(--jp-success-color1, #388e3c); }
.jp-mlops-health-drifting { background: var(--jp-warn-color1, #f57c00); }
.jp-mlops-health-degraded { background: var(--jp-warn-color0, #e65100); }
.jp-mlops-health-alerting { background: var(--jp-error-color1, #d32f2f); }
.jp-mlops-health-never-checked { background: var(--jp-layout-color3, #9e9e9e); }
.jp-mlops-health-neutral { background: var(--jp-info-color1, #0288d1); }
.jp-mlops-drifted { color: var(--jp-error-color1, #d32f2f); font-weight: bold; }
.jp-mlops-differs { background: var(--jp-warn-color3, #fff3e0); }
.jp-mlops-model > .jupyter-widgets.jupyter-widget-tab > .lm-TabBar
  .lm-TabBar-tab:not(.lm-mod-current) { color: var(--jp-ui-font-color1); }
</style>"""
