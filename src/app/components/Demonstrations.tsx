/**
 * The model's demonstrations: configurations that make the card's claims happen (mode
 * collapse, and each cure), each a share link. Following one builds its run; a teacher can
 * copy it for the class.
 */
import { demonstrationLink } from '../../core/demonstrations';
import type { ModelSpec } from '../../core/models/model';

export function Demonstrations({ model }: { model: ModelSpec }) {
  if (!model.demonstrations?.length) return null;
  return (
    <>
      <h3>See it happen</h3>
      <ul className="demonstrations" data-testid="demonstrations">
        {model.demonstrations.map((demonstration) => (
          <li key={demonstration.id}>
            <a href={demonstrationLink(model, demonstration.id)} data-testid={`demo-${demonstration.id}`}>
              {demonstration.label}
            </a>
            : {demonstration.text} Press Train after following the link.
          </li>
        ))}
      </ul>
    </>
  );
}
