// A workflow flow that does real I/O the Temporal way: the workflow decides, activities act. The activities are the
// exports of site_report_activities.ts, which prefect.yaml names in `activities:`; Temporal retries each one and
// times it out as declared here.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './site_report_activities';

const { fetchPage, writeReport } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Fetches `url` and writes what it found to `out_file` (relative to the worker's working directory). */
export async function siteReport(params: {
  url: string;
  out_file: string;
}): Promise<{ status: number; bytes: number; file: string }> {
  const page = await fetchPage(params.url);
  const file = await writeReport(params.out_file, { url: params.url, ...page });
  return { status: page.status, bytes: page.bytes, file };
}
