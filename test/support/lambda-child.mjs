// A cold Lambda container in miniature: a fresh node process that imports the built handler
// (dist/lambda/index.mjs, as the runtime does), runs one invocation, and exits. Input on stdin:
// {"event": <CodePipeline job event>, "budgetMs": <getRemainingTimeInMillis at the start>}.
import { text } from 'node:stream/consumers';

const { event, budgetMs } = JSON.parse(await text(process.stdin));
const started = Date.now();
const { handler } = await import(new URL('../../dist/lambda/index.mjs', import.meta.url).href);
await handler(event, { getRemainingTimeInMillis: () => Math.max(0, started + budgetMs - Date.now()) });
