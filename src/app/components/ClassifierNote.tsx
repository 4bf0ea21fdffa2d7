/**
 * One line under the sample-quality figures on images: which classifier judges them and
 * how often it is right on held-out images, read from the file it ships with.
 */
import { useEffect, useState } from 'react';
import { findDataset } from '../../core/datasets/catalog';

interface Info {
  accuracy: number;
  testExamples: number;
}

const cache = new Map<string, Promise<Info | undefined>>();

function classifierInfo(datasetId: string): Promise<Info | undefined> {
  let loading = cache.get(datasetId);
  if (!loading) {
    loading = fetch(`${import.meta.env.BASE_URL}classifiers/${datasetId}.classifier.json`)
      .then((response) => (response.ok ? response.json() : undefined))
      .then((file: { info?: Info } | undefined) => file?.info)
      .catch(() => undefined);
    cache.set(datasetId, loading);
  }
  return loading;
}

export function ClassifierNote({ datasetId }: { datasetId: string }) {
  const [info, setInfo] = useState<Info>();
  useEffect(() => {
    let live = true;
    void classifierInfo(datasetId).then((found) => live && setInfo(found));
    return () => {
      live = false;
    };
  }, [datasetId]);
  if (!info) return null;
  const name = findDataset(datasetId)?.name ?? datasetId;
  return (
    <p className="classifier-note" data-testid="classifier-note">
      Samples are judged by a small classifier trained on {name}: it names {(info.accuracy * 100).toFixed(1)}% of {info.testExamples.toLocaleString('en-US')} test images correctly.
    </p>
  );
}
