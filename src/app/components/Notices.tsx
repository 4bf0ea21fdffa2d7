/** What a share link had that could not be used, and errors from the worker. Text only, never HTML. */
import { dismissError, dismissLinkWarnings } from '../controller';
import { useStore } from '../store';

export function Notices() {
  const warnings = useStore((state) => state.linkWarnings);
  const error = useStore((state) => state.error);
  const notice = useStore((state) => state.notice);
  return (
    <>
      {warnings.length > 0 && (
        <div className="notice warning" role="alert" data-testid="link-warnings">
          <p>
            <strong>Parts of this link could not be used</strong>; the rest of it was applied, and defaults fill the gaps:
          </p>
          <ul>
            {warnings.map((warning, index) => (
              <li key={index}>{warning}</li>
            ))}
          </ul>
          <button type="button" onClick={dismissLinkWarnings}>
            Dismiss
          </button>
        </div>
      )}
      {notice && (
        <div className="notice info" role="status" data-testid="notice">
          <p>{notice}</p>
          <button type="button" onClick={() => useStore.setState({ notice: undefined })}>
            Dismiss
          </button>
        </div>
      )}
      {error && (
        <div className="notice error" role="alert" data-testid="error">
          <p>{error}</p>
          <button type="button" onClick={dismissError}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
