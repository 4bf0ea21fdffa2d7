/**
 * The model's demonstrations: configurations that make the card's claims happen (mode
 * collapse, and each cure), each a share link. Following one builds its run; a teacher can
 * copy it for the class. Grouped by dataset, the one on the page first.
 */
import { findDataset } from '../../core/datasets/catalog';
import { demonstrationLink } from '../../core/demonstrations';
import type { Demonstration, ModelSpec } from '../../core/models/model';

export function Demonstrations({ model, dataset }: { model: ModelSpec; dataset: string }) {
  if (!model.demonstrations?.length) return null;
  const groups = new Map<string, Demonstration[]>();
  for (const demonstration of model.demonstrations) groups.set(demonstration.dataset, [...(groups.get(demonstration.dataset) ?? []), demonstration]);
  const ordered = [...groups].sort(([a], [b]) => Number(b === dataset) - Number(a === dataset));
  return (
    <>
      <h3>See it happen</h3>
      {ordered.map(([on, demonstrations]) => (
        <div key={on}>
          <p className="demonstrations-data">On {findDataset(on)?.name ?? on}:</p>
          <ul className="demonstrations" data-testid={`demonstrations-${on}`}>
            {demonstrations.map((demonstration) => (
              <li key={demonstration.id}>
                <a href={demonstrationLink(model, demonstration.id)} data-testid={`demo-${demonstration.id}`}>
                  {demonstration.label}
                </a>
                : {demonstration.text} Press Train after following the link.
              </li>
            ))}
          </ul>
        </div>
      ))}
    </>
  );
}
