// Compiled with tsc --noEmit by test/types.test.mjs: the public API as a TypeScript user sees it.
import h2o, { Client, h2oFetch, setLogger, type LogRecord, H2oError, TimeoutError, AbortError, Kind, type ClientOptions, type RequestOptions, type H2oResponse, type Metrics, type DebugDump } from 'h2o-native';

async function main(): Promise<void> {
  setLogger((r: LogRecord) => console.error(r.level, r.target, r.message), { level: 'trace' });
  setLogger(null);
  const options: ClientOptions = { runtimeThreads: 1, initialWindowSize: 1 << 20, keepaliveInterval: null };
  const client = new Client(options).unref().ref();
  const ro: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ a: 1 }),
    signal: AbortSignal.timeout(1000),
    timeout: 5000,
    priority: { urgency: 1, incremental: true },
  };
  const res: H2oResponse = await client.request('http://127.0.0.1:1/x', ro);
  const status: number = res.status;
  const ct: string | null = res.headers.get('content-type');
  for (const [k, v] of res.headers) console.log(k, v);
  for await (const chunk of res.body) console.log(chunk.byteLength);
  const stream: ReadableStream<Uint8Array> = res.stream();
  const text: string = await res.text();
  const json = await res.json<{ a: number }>();
  const ab: ArrayBuffer = await res.arrayBuffer();
  const trailers = await res.trailers;
  console.log(status, ct, stream, text, json.a, ab.byteLength, trailers.get('x'));
  const st = client.stats();
  console.log(st.inFlight, st.native?.liveHandles);
  const m: Metrics = client.metrics();
  const p99: number = m.latency_us.p99;
  const connectErrors: number | undefined = m.errors['connect'];
  const dump: DebugDump = client.debugDump();
  const ages: number[] = dump.connections.flatMap((c) => (c.streams ?? []).map((s) => s.age_ms));
  const prom: string = client.metricsPrometheus();
  console.log(p99, connectErrors, ages, prom.length, m.hpack.sent_ratio ?? 0);
  await client.close();
  const r: Response = await h2oFetch(new URL('http://127.0.0.1:1/'), { method: 'GET', client });
  console.log(r.status, h2o.nativeVersion(), Kind.CANCELLED === 13);
  try {
    await client.request('http://127.0.0.1:1/');
  } catch (e) {
    if (e instanceof TimeoutError) console.log(e.subkind);
    else if (e instanceof AbortError) console.log(e.cause);
    else if (e instanceof H2oError) console.log(e.code, e.kind, e.h2Code, e.remote, e.unprocessed, e.scope);
  }
}
void main;
