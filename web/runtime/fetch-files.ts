// Fetching a model's files with progress over all of them.

export interface LoadProgress {
  stage: 'download' | 'compile' | 'warm-up';
  loaded?: number;
  total?: number;
}

/** Fetches every file at once, reporting the bytes received over all of them. */
export async function fetchFiles(urls: string[], onProgress?: (p: LoadProgress) => void): Promise<Uint8Array[]> {
  const responses = await Promise.all(urls.map(async (url) => {
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
    return res;
  }));
  const sizes = responses.map((r) => Number(r.headers.get('content-length')) || 0);
  const total = sizes.every((n) => n > 0) ? sizes.reduce((a, b) => a + b, 0) : undefined;
  let loaded = 0;
  let lastReport = 0;
  return Promise.all(responses.map(async (res) => {
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      loaded += value.byteLength;
      if (onProgress && (loaded - lastReport > 256 * 1024 || loaded === total)) {
        lastReport = loaded;
        onProgress({ stage: 'download', loaded, total });
      }
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) { out.set(c, offset); offset += c.byteLength; }
    return out;
  }));
}
