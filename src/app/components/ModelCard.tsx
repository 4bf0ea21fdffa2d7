/** The chosen model in our own words: what it is, what it optimizes, what to watch for. */
import katex from 'katex';
import { useMemo } from 'react';
import { findDataset } from '../../core/datasets/catalog';
import { findModel } from '../../core/models';
import { cardFor } from '../../core/models/model';
import { useStore } from '../store';
import { Demonstrations } from './Demonstrations';

export function ModelCard() {
  const modelId = useStore((state) => state.config.model);
  const model = findModel(modelId);
  const dataset = useStore((state) => state.config.dataset);
  const kind = findDataset(dataset)?.kind;
  // The TeX comes from our own model registry, never from the URL.
  const formula = useMemo(
    () => (model ? katex.renderToString(model.card.objectiveTex, { displayMode: true, throwOnError: false, output: 'html' }) : ''),
    [model],
  );
  if (!model) return null;
  const words = cardFor(model.card, kind);
  return (
    <section className="card model-card" aria-labelledby="model-card-heading">
      <h2 id="model-card-heading">{model.name}</h2>
      <p>{words.summary}</p>
      <h3>Objective</h3>
      <div className="formula" role="img" aria-label={model.card.objectiveText} dangerouslySetInnerHTML={{ __html: formula }} />
      <h3>Watch for</h3>
      <ul>
        {words.watchFor.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <Demonstrations model={model} dataset={dataset} />
      <p className="paper">
        Paper:{' '}
        <a href={model.paper.url} target="_blank" rel="noreferrer noopener">
          {model.paper.title}
        </a>{' '}
        ({model.paper.authors}, {model.paper.year})
      </p>
    </section>
  );
}
