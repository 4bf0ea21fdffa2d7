/**
 * Draw new samples on request, from any model that generates: a job in the worker, run
 * while training goes on. Progress (a slow sampler reports it), and a Cancel button.
 */
import { findDataset } from '../../core/datasets/catalog';
import { findModel } from '../../core/models';
import { useStore } from '../store';
import { JobCard } from './JobCard';

const COUNT = 64;

export function NewSamples() {
  const model = findModel(useStore((state) => state.config.model));
  if (!model?.generates) return null;
  return (
    <JobCard
      name="sample"
      title="Draw new samples"
      button={`Draw ${COUNT}`}
      again="Draw again"
      payload={{ count: COUNT }}
      idle="New samples, different at every press, drawn while training goes on."
      testId="new-samples"
    />
  );
}

/** The jobs the model's spec offers beside its views (a film of its sampler), each its own card. */
export function OfferedJobs() {
  const { model: modelId, dataset: datasetId } = useStore((state) => state.config);
  const model = findModel(modelId);
  const kind = findDataset(datasetId)?.kind;
  const offers = (model?.jobs ?? []).filter((offer) => !offer.dataKinds || (kind !== undefined && offer.dataKinds.includes(kind)));
  return (
    <>
      {offers.map((offer) => (
        <JobCard key={offer.action} name={offer.action} title={offer.title} button={offer.button} again="Run again" idle={offer.help} testId={`job-${offer.action}`} />
      ))}
    </>
  );
}
