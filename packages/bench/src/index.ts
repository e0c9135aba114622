/** The cluster benchmark (`npm run bench`); the entry point is main.ts. */
export { floorMs, renderChart, renderTable, type BenchReport, type SystemRow } from './report';
export { Samples, median } from './latency';
