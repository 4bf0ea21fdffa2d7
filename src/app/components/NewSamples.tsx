/**
 * Draw new samples on request, from any model that generates: a job in the worker, run
 * while training goes on. Progress (a slow sampler reports it), and a Cancel button.
 */
import { findModel } from '../../core/models';
import { cancelJob, startJob } from '../controller';
import { useStore } from '../store';
import { PanelBody } from './Panels';

const COUNT = 64;

export function NewSamples() {
  const model = findModel(useStore((state) => state.config.model));
  const job = useStore((state) => state.jobs.sample);
  const runState = useStore((state) => state.runState);
  if (!model?.generates) return null;
  const running = job?.state === 'running';
  return (
    <figure className="card panel" aria-labelledby="new-samples-heading" data-testid="new-samples">
      <div className="panel-header">
        <h2 id="new-samples-heading">Draw new samples</h2>
        {running ? (
          <button type="button" className="save-image" onClick={() => cancelJob(job.jobId)}>
            Cancel
          </button>
        ) : (
          <button type="button" className="save-image" disabled={runState === 'loading' || runState === 'error'} onClick={() => startJob('sample', { count: COUNT })}>
            {job ? 'Draw again' : `Draw ${COUNT}`}
          </button>
        )}
      </div>
      {running && <progress className="job-progress" {...(job.progress !== undefined ? { value: job.progress } : {})} max={1} aria-label="Drawing samples" />}
      {job?.panel && <PanelBody panel={job.panel} />}
      {job?.state === 'error' && <p className="field-error">{job.message}</p>}
      {job?.state === 'cancelled' && <p className="help">Stopped: {job.message}.</p>}
      <figcaption>{job?.panel?.caption ?? 'New samples, different at every press, drawn while training goes on.'}</figcaption>
    </figure>
  );
}
