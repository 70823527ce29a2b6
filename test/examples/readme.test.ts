// The README's code is the examples' code: every YAML and TypeScript block of its "Deployment triggers" and "Writing a
// flow" sections appears in a file under examples/, the example project is the seed's prefect.yaml (with a TypeScript
// entry point) and parses, and the examples type-check against the client library.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadPrefectYaml, parsePrefectYaml } from '../../services/deployments/prefect-yaml';
import { SEED_PREFECT_YAML } from '../services/deployments/fixtures/seed';
import { codeBlocks, EXAMPLES, readmeSection, ROOT } from './readme';

const files = (...names: string[]) => names.map((name) => fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
const YAML_FILES = files('prefect.yaml', 'triggers.yaml');
const TS_FILES = files(
  'serve.ts',
  'deploy.ts',
  'flows/my_flow.ts',
  'flows/site_report.ts',
  'flows/site_report_activities.ts',
  'flows/fetch_status.ts',
);

describe.each(['Deployment triggers', 'Writing a flow'])('the README section "%s"', (title) => {
  const section = readmeSection(title);

  it('shows YAML that is in the example project, word for word', () => {
    const blocks = codeBlocks(section, 'yaml');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks)
      expect({ block, found: YAML_FILES.some((file) => file.includes(block)) }).toEqual({ block, found: true });
  });

  it('shows TypeScript that is in the examples, word for word', () => {
    const blocks = codeBlocks(section, 'ts');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks)
      expect({ block, found: TS_FILES.some((file) => file.includes(block)) }).toEqual({ block, found: true });
  });
});

describe('examples/', () => {
  it("holds the seed's deployment, its entry point a TypeScript file", () => {
    const seed = parsePrefectYaml(SEED_PREFECT_YAML, { baseDir: EXAMPLES }).deployments[0]!;
    const example = loadPrefectYaml(path.join(EXAMPLES, 'prefect.yaml')).deployments.find((d) => d.name === seed.name);
    expect(example).toEqual({ ...seed, entrypoint: `${path.join(EXAMPLES, 'flows', 'my_flow.ts')}:myFlow` });
  });

  it('type-checks against the client library', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(
      promisify(execFile)(process.execPath, [tsc, '-p', path.join(EXAMPLES, 'tsconfig.json')]),
    ).resolves.toMatchObject({
      stdout: '',
    });
  });
});
