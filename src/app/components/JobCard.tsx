/**
 * A card that runs one job in the worker on request, while training goes on: a button to
 * start it (and Cancel while it runs), its progress, the latest panel it sent, and how it
 * ended. The page's "Draw new samples" and each model's offered jobs (a film of its
 * sampler) are such cards.
 */
import { cancelJob, startJob } from '../controller';
import { useStore } from '../store';
import { PanelBody } from './Panels';

export interface JobCardProps {
  /** The job's name in the worker: the built-in `sample`, or one of the model's actions. */
  name: string;
  title: string;
  /** The button's words before the first run, and after it. */
  button: string;
  again: string;
  payload?: unknown;
  /** What the card says before the job has sent anything. */
  idle: string;
  testId: string;
}

export function JobCard({ name, title, button, again, payload, idle, testId }: JobCardProps) {
  const job = useStore((state) => state.jobs[name]);
  const runState = useStore((state) => state.runState);
  const running = job?.state === 'running';
  const headingId = `${testId}-heading`;
  return (
    <figure className="card panel" aria-labelledby={headingId} data-testid={testId}>
      <div className="panel-header">
        <h2 id={headingId}>{title}</h2>
        {running ? (
          <button type="button" className="save-image" onClick={() => cancelJob(job.jobId)}>
            Cancel
          </button>
        ) : (
          <button type="button" className="save-image" disabled={runState === 'loading' || runState === 'error'} onClick={() => startJob(name, payload)}>
            {job ? again : button}
          </button>
        )}
      </div>
      {running && <progress className="job-progress" {...(job.progress !== undefined ? { value: job.progress } : {})} max={1} aria-label={title} />}
      {job?.panel && <PanelBody panel={job.panel} />}
      {job?.state === 'error' && <p className="field-error">{job.message}</p>}
      {job?.state === 'cancelled' && <p className="help">Stopped: {job.message}.</p>}
      <figcaption>{job?.panel?.caption ?? idle}</figcaption>
    </figure>
  );
}
