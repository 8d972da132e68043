/**
 * A model's jobs and schedules in the sidebar: its newest job's result as a badge coloured as
 * health is (passed as ok; skipped and missed as drifting; timeout and stopped as degraded;
 * alert, failed and crashed as alerting; running as never checked; kept, a retraining whose
 * gate kept the champion, as neutral), and each schedule with how often it
 * runs, when next, its newest job and a Run now button. Presentational: it reads the model
 * and forwards clicks.
 *
 * The class names and data attributes are the contract the browser tests select on:
 * `.jp-mlops-schedule[data-schedule]`, `.jp-mlops-job[data-status]`.
 */
import { runIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { IModelHealth, ISchedule } from './api';
import { MlopsModel } from './model';

/** What each job result looks like: the health it is coloured as. */
export const HEALTH_OF: { [status: string]: string } = {
  passed: 'ok',
  skipped: 'drifting',
  missed: 'drifting',
  timeout: 'degraded',
  alert: 'alerting',
  failed: 'alerting',
  crashed: 'alerting',
  stopped: 'degraded',
  kept: 'neutral',
  running: 'never-checked'
};

interface IJob {
  id: number;
  status: string;
  at: string;
  message?: string | null;
}

/** A job's result as a badge, and when it started. */
export function JobBadge({ job, label }: { job: IJob; label: string }): JSX.Element {
  const health = HEALTH_OF[job.status] ?? 'never-checked';
  return (
    <span
      className="jp-mlops-job"
      data-status={job.status}
      data-job={job.id}
      title={job.message ?? `job ${job.id}: ${job.status}`}
    >
      {label}{' '}
      <span className={`jp-mlops-health jp-mlops-health-${health}`}>{job.status}</span>{' '}
      <span className="jp-mlops-when">{when(job.at)}</span>
    </span>
  );
}

/** The model's newest job, then its schedules. */
export function ModelJobs(props: {
  row: IModelHealth;
  model: MlopsModel;
  busy: boolean;
  runNow: (schedule: ISchedule) => void;
}): JSX.Element | null {
  const { row, model, busy, runNow } = props;
  const schedules = model.schedulesOf(row.name);
  const last = row.last_job;
  if (!last && !schedules.length) {
    return null;
  }
  return (
    <div className="jp-mlops-jobs">
      {last && (
        <div className="jp-mlops-last-job">
          <JobBadge job={last} label={`last job ${last.id}`} />
        </div>
      )}
      {schedules.map(schedule => (
        <ScheduleRow
          key={schedule.id}
          schedule={schedule}
          starting={model.isStarting(schedule)}
          busy={busy}
          runNow={runNow}
        />
      ))}
    </div>
  );
}

function ScheduleRow(props: {
  schedule: ISchedule;
  starting: boolean;
  busy: boolean;
  runNow: (schedule: ISchedule) => void;
}): JSX.Element {
  const { schedule, starting, busy, runNow } = props;
  const keeper = schedule.backend === 'jupyter-scheduler' ? 'jupyter-scheduler' : 'cron';
  const state = keeper === 'cron' ? schedule.state : `${keeper}: ${schedule.state}`;
  const next = schedule.next_run ? `next ${when(schedule.next_run)}` : state;
  const job = schedule.last_job;
  return (
    <div className="jp-mlops-schedule" data-schedule={schedule.id} title={schedule.notebook}>
      <div className="jp-mlops-schedule-head">
        <span className="jp-mlops-every">every {schedule.every}</span>
        <span className="jp-mlops-next">{next}</span>
        <span className="jp-mlops-spacer" />
        <button
          className="jp-mlops-action"
          data-action="run-now"
          data-schedule={schedule.id}
          title={
            starting
              ? `Schedule ${schedule.id} was started: its job shows here once recorded`
              : `Run schedule ${schedule.id} now, as ${keeper} runs it`
          }
          disabled={busy || starting}
          onClick={() => runNow(schedule)}
        >
          <runIcon.react tag="span" /> run now
        </button>
      </div>
      <div className="jp-mlops-schedule-line">
        {starting && <span className="jp-mlops-note">starting…</span>}
        {!starting && job && (
          <JobBadge job={{ ...job, at: job.started_at }} label={`job ${job.id}`} />
        )}
        {!starting && !job && <span className="jp-mlops-note">no job yet</span>}
      </div>
    </div>
  );
}

/** A timestamp as a person reads it, in their own time zone. */
function when(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString();
}
